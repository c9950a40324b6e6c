/**
 * LZF compression in WASM (persistence/lzf-wasm.ts, assembly/rdbsave.ts lzfScratch) against
 * lzf.ts's lzfCompress: the same length and bytes for random inputs (short and long, repetitive
 * and not, output limits that fit and that do not), so RDB files are the same bytes either way.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lzfCompress, lzfDecompress } from '../src/persistence/lzf';
import { lzfCompressFast, lzfWasm } from '../src/persistence/lzf-wasm';
import { crcInstance } from '../src/persistence/crc64';
import { rng } from './helpers/rng';

test('lzfCompressFast writes what lzfCompress writes (20,000 random inputs)', () => {
  assert.ok(crcInstance() !== null, 'build/redust.wasm is built');
  const r = rng(1207);
  let compressed = 0;
  for (let it = 0; it < 20000; it++) {
    const len = 1 + Math.floor(r() * (it % 20 === 0 ? 70000 : 300));
    const alphabet = 1 + Math.floor(r() * (r() < 0.5 ? 4 : 256));
    const b = Buffer.alloc(len + 7);
    const at = Math.floor(r() * 7);
    for (let i = at; i < at + len; i++) b[i] = r() < 0.3 && i > at + 8 ? b[i - 1 - Math.floor(r() * 8)] : Math.floor(r() * alphabet);
    const outLen = r() < 0.2 ? Math.floor(r() * len) : Math.max(len - 4, 1);
    const a = Buffer.alloc(outLen + 9);
    const c = Buffer.alloc(outLen + 9);
    const off = Math.floor(r() * 8);
    const na = lzfCompress(b, at, at + len, a, off, outLen);
    const nc = lzfCompressFast(b, at, at + len, c, off, outLen);
    assert.is(nc, na, `length, case ${it}`);
    // (what a failed compression leaves in the output is not used)
    if (na > 0) {
      assert.ok(a.subarray(off, off + na).equals(c.subarray(off, off + nc)), `bytes, case ${it}`);
      compressed++;
      const back = Buffer.alloc(len);
      assert.is(lzfDecompress(c, off, off + nc, back, len), len);
      assert.ok(back.equals(b.subarray(at, at + len)), `round trip, case ${it}`);
    }
  }
  assert.ok(compressed > 2000, `compressed ${compressed}`);
});

test('without the WASM path, lzfCompressFast is lzfCompress', () => {
  const b = Buffer.from('abcabcabcabcabcabcabcabcabcabc'.repeat(5), 'latin1');
  const a = Buffer.alloc(200);
  const c = Buffer.alloc(200);
  lzfWasm.enabled = false;
  try {
    const n = lzfCompress(b, 0, b.length, a, 0, b.length - 4);
    assert.ok(n > 0);
    assert.is(lzfCompressFast(b, 0, b.length, c, 0, b.length - 4), n);
    assert.ok(a.equals(c));
  } finally {
    lzfWasm.enabled = true;
  }
});

test.run();
