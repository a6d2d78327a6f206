export { SocketEndpoint } from './socket-endpoint.js';
export { serve } from './serve.js';
export { parseListen, streamVars, hostPort, plainAddress } from './address.js';
