/** src/util/latin1.ts: the JS paths for short strings give what Buffer's latin1 codec gives. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { latin1Of, writeLatin1 } from '../src/util/latin1';

const t = suite('latin1');

t('latin1Of and writeLatin1 equal latin1Slice / latin1Write for every length and byte', () => {
  for (let n = 0; n < 40; n++) {
    for (let r = 0; r < 50; r++) {
      const b = Buffer.from(Array.from({ length: n }, (_, i) => (r === 0 ? 255 - i : (Math.random() * 256) | 0)));
      const s = latin1Of(b);
      assert.is(s, b.latin1Slice(0, n));
      const d = Buffer.alloc(n + 4, 7);
      assert.is(writeLatin1(d, 2, s), n);
      assert.ok(d.subarray(2, 2 + n).equals(b));
      assert.is(d[1], 7);
      assert.is(d[n + 2], 7);
    }
  }
});

t.run();
