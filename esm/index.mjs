// ESM entry point of the `redust` package: re-exports the CommonJS build (dist/src/index.js), so
// `import { RedustServer } from 'redust'` and `require('redust')` give the same classes.
import cjs from '../dist/src/index.js';

export const { RedustServer } = cjs;
export default cjs;
