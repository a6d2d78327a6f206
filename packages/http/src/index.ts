export { serve, handler, type HttpServer } from './serve.js';
export { RequestEndpoint, type RequestOutcome } from './request-endpoint.js';
export { SessionRegistry, InteractiveEndpoint, SseEndpoint, PollEndpoint, newSessionId, dataFields } from './sessions.js';
export { requestVars, withheld, type Mode } from './vars.js';
export { PREFIX, type HttpConfig } from './config.js';
