/** hamelin-conformance as a library: run the spec's checks from code. */
export { allChecks, checksFor } from './checks/index.js';
export { bindings } from './bindings/index.js';
export { runAll, runCheck, expand, type Check, type Config, type Result } from './runner.js';
export { summarize, table, writeJson, type Summary } from './report.js';
export { readProbes, ProbeRun } from './probe-report.js';
export type { Address, Binding, Conn, Level, OptionName, Status } from './types.js';
