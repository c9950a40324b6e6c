// Types of the ESM entry point (esm/index.mjs): the same API as the CommonJS build.
import * as redust from '../dist/src/index.js';

export * from '../dist/src/index.js';
export default redust;
