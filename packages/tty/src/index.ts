export { TtyLine, type LineSink } from './line.js';
export { TtyEndpoint } from './endpoint.js';
export { serveTty, ttyVars, exitStatus, type TtyServeOptions } from './serve.js';
export { SESSION_SETTINGS, BAUDS, saveSettings, applySettings, restoreSettings, lineInfo, type LineInfo } from './stty.js';
