/**
 * Engine selection (`--engine js-map|wasm`). The wasm engine is loaded on demand so the js-map
 * engine works even where build/redust.wasm has not been built.
 */
import type { Engine, EngineName } from './types';
import { JsMapEngine } from './js-map/engine';

export const ENGINE_NAMES: readonly EngineName[] = ['js-map', 'wasm'];

export function createEngine(name: EngineName): Engine {
  switch (name) {
    case 'js-map':
      return new JsMapEngine();
    case 'wasm': {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { WasmEngine } = require('./wasm/engine') as { WasmEngine: new () => Engine };
      return new WasmEngine();
    }
    default:
      throw new Error(`unknown engine '${name as string}' (expected js-map or wasm)`);
  }
}
