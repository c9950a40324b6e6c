/**
 * The JavaScript containers: the js-map engine's lists, hashes and sets, and both engines' streams
 * (the wasm engine keeps its keyspace, lists, hashes, sets and sorted sets in WebAssembly).
 */
import type { HashValue, ListValue, SetValue, StreamValue } from '../types';
import { JsList } from './list';
import { JsHash } from './hash';
import { JsSet } from './set';
import { JsStream } from './stream';

export const jsContainers = {
  newList(): ListValue {
    return new JsList();
  },
  newHash(): HashValue {
    return new JsHash();
  },
  newSet(): SetValue {
    return new JsSet();
  },
  newStream(): StreamValue {
    return new JsStream();
  },
};
