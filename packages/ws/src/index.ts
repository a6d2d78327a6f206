export { normalizeWs, wsOptions, checkDir, type WsOptions } from './options.js';
export { serve, wsHandlers, type WsServeOptions, type WsHandlers, type WsServeHandle } from './serve.js';
export { WsEndpoint, type WsEndpointOptions } from './ws-endpoint.js';
export { closeFor, type CloseFrame } from './close-code.js';
export { wsVars, clientLabel, SECRET_HEADERS } from './vars.js';
