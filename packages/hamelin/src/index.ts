export { buildSpec, processOptions, serviceOptions, frontEndOptions, RELOADABLE, type ProcessSpec, type ServiceSpec } from './model.js';
export { configSchema } from './schema.js';
