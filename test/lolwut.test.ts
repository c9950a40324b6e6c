/**
 * LOLWUT against real Redis 7.0: the version line, the VERSION dispatch (5, 6, the low 32 bits of
 * the number, anything else), argument errors, and the drawings where they do not depend on
 * rand() byte for byte (Schotter's first two rows are never rotated), in RESP2 and RESP3; where
 * they do, the shape: as many lines and cells as Redis draws.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import type { RespNode } from '../src/protocol/resp-reader';

function textOf(n: RespNode): string {
  assert.ok(n.t === 'bulk' || n.t === 'verbatim', `a bulk or verbatim reply, got ${n.t}`);
  return Buffer.isBuffer(n.v) ? n.v.toString('utf8') : String(n.v);
}

/** Lines of a drawing and the cells (characters, or escape-sequence cells) on each. */
function shape(s: string): number[] {
  return s.split('\n').map((l) => (l.includes('\x1b[') ? l.split('\x1b[0m').length - 1 : [...l].length));
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('lolwut', engine);

  diffTest(t, 'version line, dispatch and errors as Redis 7.0', async ({ d }) => {
    await d.bothProtocols([], [
      ['LOLWUT'],
      ['LOLWUT', 'foo'],
      ['LOLWUT', 'VERSION'],
      ['LOLWUT', 'VERSION', '7'],
      ['LOLWUT', 'version', '4'],
      ['LOLWUT', 'VERSION', '59'],
      ['LOLWUT', 'VERSION', 'x'],
      ['LOLWUT', 'VERSION', '5', 'abc'],
      ['LOLWUT', 'VERSION', '6', '10', 'x'],
      ['LOLWUT', 'VERSION', '99999999999999999999'],
      ['LOLWUT', 'VERSION', '-1'],
    ]);
  });

  diffTest(t, 'Schotter without rotation and tiny skylines byte for byte', async ({ d }) => {
    await d.bothProtocols([], [
      ['LOLWUT', 'VERSION', '5', '1', '1', '1'],
      ['LOLWUT', 'VERSION', '5', '0', '0', '0'],
      ['LOLWUT', 'VERSION', '5', '66', '8', '2'],
      ['LOLWUT', 'VERSION', '5', '40', '3', '2'],
      ['LOLWUT', 'VERSION', '5', '13', '7', '1'],
      ['LOLWUT', 'VERSION', '5', '77', '13', '2'],
      ['LOLWUT', 'VERSION', '5', '5000', '500', '2'],
      ['LOLWUT', 'VERSION', '4294967301', '9', '200', '2'],
      ['LOLWUT', 'VERSION', '-4294967291', '2', '2', '2'],
      ['LOLWUT', 'VERSION', '6', '0', '0'],
    ]);
  });

  diffTest(t, 'random drawings have Redis\'s size and caption', async ({ d }) => {
    for (const args of [['5'], ['5', '30', '4', '9'], ['6'], ['6', '33', '7'], ['6', '2000', '3']]) {
      const cmd = ['LOLWUT', 'VERSION', ...args];
      const [ours, theirs] = [textOf(await d.redust.send(...cmd)), textOf(await d.reference.send(...cmd))];
      assert.equal(shape(ours), shape(theirs), cmd.join(' '));
      assert.is(ours.slice(ours.lastIndexOf('\n', ours.length - 2)), theirs.slice(theirs.lastIndexOf('\n', theirs.length - 2)));
    }
  });

  t.run();
}
