export { buildSpec } from './model.js';
