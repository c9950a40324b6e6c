/**
 * The one-selector user's per-command plan (src/acl/user.ts User.fastAllows) never allows what
 * the full selector check denies, nor the reverse, over every command with random arguments, and
 * is rebuilt when the user's rules change.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Config } from '../src/config/config';
import { createEngine } from '../src/engine';
import { Server } from '../src/server/server';
import { createLogger } from '../src/observability/logger';

const t = suite('acl-plan');

const RULES = [
  ['on', '~key:*', '%R~other:*', '~counter:*', '+@read', '+@write', '-@dangerous'],
  ['on', '%W~w*', '%R~r?', '~exact', '+@all'],
  ['on', '~a*', '+@all', '-set', '+client|id', '+select|0'],
  ['on', 'allkeys', '+@all', 'resetchannels'],
  ['on', '%R~*', '%W~w:*', '+@all'],
  ['on', '~k[ab]*', '~\\*lit', '+@string', '+@list', '+@hash', '+@keyspace'],
  ['on', '~', '~x', '+@all', '&ch*'],
  // Literals past compileKeyList's inline limit, and bytes above 127.
  ['on', '~' + 'L'.repeat(70) + '*', '~' + 'E'.repeat(65), '~é*', '+@all'],
];
const WORDS = ['key:1', 'key:', 'ke', 'other:1', 'counter:9', 'w1', 'r1', 'rr', 'exact', 'exactx', 'a', 'ab', 'kb1', '*lit', 'x', '', 'get', 'GeT', 'ex', '10', '2', '1', 'ch1', 'ch*', '0', 'L'.repeat(70) + 'x', 'L'.repeat(69), 'E'.repeat(65), 'E'.repeat(64), 'éa', 'é'];

t('fast check agrees with the full check', () => {
  const server = new Server(new Config({ save: '' }), createEngine('js-map'), { logger: createLogger({ level: 'warning' }) });
  const cmds = [...server.table.allWithSubcommands()];
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let allowedQuickly = 0;
  for (const [i, rules] of RULES.entries()) {
    assert.is(server.acl.setUser('u' + i, rules), null);
    const u = server.acl.users.get('u' + i)!;
    for (const cmd of cmds) {
      for (let k = 0; k < 20; k++) {
        const argc = Math.max(Math.abs(cmd.arity), 1) + (cmd.arity < 0 ? rnd(5) : 0);
        const argv = cmd.parent ? [Buffer.from(cmd.parent.name), Buffer.from(cmd.name)] : [Buffer.from(cmd.name)];
        while (argv.length < argc) argv.push(Buffer.from(WORDS[rnd(WORDS.length)]));
        const full = u.root.check(cmd, argv, [0]);
        assert.is(u.check(cmd, argv, [0]) === 0, full === 0, `${rules.join(' ')}: ${argv.join(' ')}`);
        // (allows false means "take the full check", not a denial.)
        if (u.allows(cmd, argv)) {
          assert.is(full, 0, `allows: ${rules.join(' ')}: ${argv.join(' ')}`);
          allowedQuickly++;
        }
        if (!cmd.parent && ((cmd.name === 'get' && argv.length === 2) || (cmd.name === 'set' && argv.length === 3))) {
          assert.is(u.allowsFast(cmd, argv[1], cmd.name === 'get'), full === 0, `fast path ${argv.join(' ')}`);
        }
      }
    }
  }
  assert.ok(allowedQuickly > 10000, `the quick check allowed only ${allowedQuickly} commands`);
});

t('a rule change drops the plans', () => {
  const server = new Server(new Config({ save: '' }), createEngine('js-map'), { logger: createLogger({ level: 'warning' }) });
  assert.is(server.acl.setUser('p', ['on', '~key:*', '+get']), null);
  const u = server.acl.users.get('p')!;
  const get = server.table.get('get')!;
  const argv = [Buffer.from('get'), Buffer.from('key:1')];
  assert.is(u.check(get, argv, [0]), 0);
  assert.is(server.acl.setUser('p', ['resetkeys', '~other:*']), null);
  assert.is.not(u.check(get, argv, [0]), 0);
  assert.is.not(u.allowsFast(get, argv[1], true), true);
  assert.is(server.acl.setUser('p', ['~key:*', '-get']), null);
  assert.is.not(u.check(get, argv, [0]), 0);
  assert.is(server.acl.setUser('p', ['+get']), null);
  assert.is(u.check(get, argv, [0]), 0);
});

t.run();
