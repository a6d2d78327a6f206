export { TtyLine, type LineSink } from './line.js';
export { TtyEndpoint } from './endpoint.js';
export { serve, ttyVars, exitStatus, type TtyServeOptions, type TtyHandle } from './serve.js';
export { normalizeTty, type TtyConfig, type TtyOptions } from './options.js';
export { cliSpec as ttyCliSpec } from './cli-spec.js';
export { SESSION_SETTINGS, BAUDS, saveSettings, applySettings, restoreSettings, lineInfo, type LineInfo } from './stty.js';
