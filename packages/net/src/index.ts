export { SocketEndpoint } from './socket-endpoint.js';
export { serve, type NetServeHandle } from './serve.js';
export { parseListen, streamVars, hostPort, plainAddress } from './address.js';
export { netOptions, normalizeNet, type NetOptions, type NetServeOptions } from './options.js';
