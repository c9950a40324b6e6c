/**
 * bench/lib.ts spliceGenerated: a full `npm run bench` replaces only the sections it generates in
 * docs/benchmarks.md; group sections and hand-written notes between them stay, in place.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spliceGenerated } from '../bench/lib';

test('generated sections are replaced in place; notes and group sections stay', () => {
  const previous = [
    '# Benchmarks', '', 'old intro', '',
    '## Machine', '', 'old machine', '',
    '## Scripting (hand)', '', 'pasted figures', '',
    '## Targets', '', 'old targets', '',
    '<!-- collections:begin -->', '## Collections', 'rows', '<!-- collections:end -->', '',
    '### A note', '', 'kept text', '',
    '<!-- types -->', '### Types', 'rows', '<!-- /types -->', '',
    'Types notes: kept too', '',
  ].join('\n');
  const generated = ['# Benchmarks', '', 'new intro', '', '## Machine', '', 'new machine', '', '## Growth', '', 'new growth', '', '## Targets', '', 'new targets', ''].join('\n');
  const out = spliceGenerated(previous, generated);
  assert.ok(out.startsWith('# Benchmarks\n\nnew intro\n'));
  assert.not.ok(out.includes('old machine'));
  assert.not.ok(out.includes('old targets'));
  for (const kept of ['pasted figures', 'rows', 'kept text', 'Types notes: kept too', '<!-- /types -->', '<!-- collections:end -->']) assert.ok(out.includes(kept), kept);
  // Order: Machine, Scripting (hand), Growth (new, after the last replaced block before it), Targets...
  const at = (s: string) => out.indexOf(s);
  assert.ok(at('new machine') < at('pasted figures'));
  assert.ok(at('pasted figures') < at('new targets'));
  assert.ok(at('new targets') < at('## Collections'));
  assert.ok(at('new growth') > 0 && at('new growth') < at('## Collections'));
  assert.ok(at('## Collections') < at('kept text') && at('kept text') < at('### Types'));
});

test('an empty previous file is the generated output', () => {
  assert.is(spliceGenerated('', '# B\n\n## Machine\n\nx\n'), '# B\n\n## Machine\n\nx\n');
});

test.run();
