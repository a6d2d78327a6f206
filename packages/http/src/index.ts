export { serve, handler, type HttpServer } from './serve.js';
export { httpOptions, normalizeHttp, type HttpOptions } from './options.js';
export { RequestEndpoint, type RequestOutcome } from './request-endpoint.js';
export { SessionRegistry, InteractiveEndpoint, SseEndpoint, PollEndpoint, newSessionId, dataFields } from './sessions.js';
export { requestVars, withheld, type Mode } from './vars.js';
export { PREFIX, type HttpConfig } from './config.js';
