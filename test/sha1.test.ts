/**
 * src/util/sha1.ts against Node's crypto (OpenSSL) on every length around the padding's block
 * boundaries, random bytes and offsets, and a long input.
 */
import { createHash } from 'crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sha1Into } from '../src/util/sha1';
import { rng } from './helpers/rng';

const t = suite('sha1');

t('sha1Into equals crypto for lengths 0..300, at any offset, and for 1 MB', () => {
  const r = rng(7);
  const data = Buffer.alloc(400);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  const out = Buffer.alloc(24);
  for (let len = 0; len <= 300; len++) {
    const off = len % 7;
    sha1Into(data, off, len, out, 2);
    assert.is(out.subarray(2, 22).toString('hex'), createHash('sha1').update(data.subarray(off, off + len)).digest('hex'), `length ${len}`);
  }
  const big = Buffer.alloc(1 << 20, 0xa5);
  sha1Into(big, 0, big.length, out, 0);
  assert.is(out.subarray(0, 20).toString('hex'), createHash('sha1').update(big).digest('hex'));
  // the known answer for "abc"
  sha1Into(Buffer.from('abc'), 0, 3, out, 0);
  assert.is(out.subarray(0, 20).toString('hex'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
});

t.run();
