#!/usr/bin/env node
'use strict';
/**
 * Replay a differential-fuzz failure against a fresh Redust and a fresh reference Redis, to reduce
 * it. The fuzzer writes the commands it sent with REDUST_FUZZ_DUMP=file (one JSON array of latin1
 * strings per line, "(reconnected)" where it opened a new connection; a JSON object for a step on
 * another client, a cross-server DUMP/RESTORE or a step followed by a wait, replayed with the same
 * wait: test/helpers/fuzz-steps.ts).
 *
 *   node scripts/fuzz-replay.js FILE ENGINE [default|small] [KEEP_REGEX]
 *
 * Sends every command (or, with KEEP_REGEX, only the commands whose text matches it, plus
 * MULTI/EXEC/DISCARD/HELLO: filter by key to bisect) to both servers, with the fuzzer's keyspace
 * notifications and subscriber, and stops at the first reply or event that differs, printing it
 * (the first differing element of an array reply). ALL=1 goes on past differences; LOOSE=1
 * compares replies as unordered (the fuzzer's `unordered` option); NOTIFY=classes overrides
 * notify-keyspace-events. Needs `npm run build` (it loads dist/) and redis-server on PATH.
 */
const fs = require('fs');
const path = require('path');
const DIST = path.join(__dirname, '..', 'dist');
const { startRedust, startReference } = require(path.join(DIST, 'test/helpers/servers'));
const { RawConnection } = require(path.join(DIST, 'test/helpers/raw'));
const { renderNode: render } = require(path.join(DIST, 'src/protocol/resp-reader'));
const { normalize } = require(path.join(DIST, 'test/helpers/diff'));
const { FuzzClients, stepFromJson, describeStep } = require(path.join(DIST, 'test/helpers/fuzz-steps'));

// (the fuzzer's "small encodings" mode: test/differential-fuzz.test.ts MODES)
const SMALL = { 'hash-max-listpack-entries': '2', 'hash-max-listpack-value': '4', 'set-max-intset-entries': '2', 'zset-max-listpack-entries': '2', 'zset-max-listpack-value': '4', 'list-max-listpack-size': '2', 'stream-node-max-entries': '2' };
const show = (n) => render(process.env.LOOSE ? normalize(n, { deepUnordered: true, wordsUnordered: true }) : n);

async function main() {
  const [file, engine, mode = 'default', keep] = process.argv.slice(2);
  if (!file || !engine) {
    console.error('usage: node scripts/fuzz-replay.js FILE ENGINE [default|small] [KEEP_REGEX]');
    return 2;
  }
  const config = mode === 'small' ? SMALL : {};
  let cmds = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => (l === '"(reconnected)"' || l === '(reconnected)' ? '(reconnected)' : stepFromJson(l)));
  if (keep) {
    const re = new RegExp(keep);
    // (Steps on other clients are all kept: a background command and its collect go together.)
    cmds = cmds.filter((c) => typeof c === 'string' || c.on !== undefined || c.kind !== undefined || ['MULTI', 'EXEC', 'DISCARD', 'HELLO'].includes(c.args[0].latin1Slice()) || re.test(describeStep(c)));
  }
  const srv = await startRedust(engine, { config });
  const ref = await startReference(Object.entries(config).flatMap(([k, v]) => [`--${k}`, v]));
  let a = await RawConnection.connect(srv.port);
  let b = await RawConnection.connect(ref.port);
  const clients = new FuzzClients(srv.port, ref.port);
  const notify = process.env.NOTIFY ?? (mode === 'small' ? 'Kgx$lshzmn' : 'KEA');
  // (as the fuzzer: keys expire only when a command meets them)
  for (const c of [a, b]) await c.send('CONFIG', 'SET', 'notify-keyspace-events', notify);
  for (const c of [a, b]) await c.send('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  const subs = [await RawConnection.connect(srv.port), await RawConnection.connect(ref.port)];
  for (const s of subs) {
    await s.send('PSUBSCRIBE', '__key*__:*');
    await s.send('SUBSCRIBE', 'ch1', 'ch2');
    await s.next();
    await s.send('PSUBSCRIBE', 'ch*');
    await s.send('SSUBSCRIBE', 'sh1');
  }
  // Everything the subscriber received up to a PING's reply.
  const drain = async (s) => {
    s.write('*1\r\n$4\r\nPING\r\n');
    const out = [];
    for (;;) {
      const m = render(await s.next());
      if (m === '["pong", ""]') return out;
      out.push(m);
    }
  };
  let n = 0;
  let differences = 0;
  for (const c of cmds) {
    if (c === '(reconnected)') {
      a.close();
      b.close();
      a = await RawConnection.connect(srv.port);
      b = await RawConnection.connect(ref.port);
      continue;
    }
    const [ra, rb] = await clients.run(c, [a, b]);
    // (the fuzzer's wait after the step, e.g. for a key set to expire in 1 ms)
    if (c.waitMs) await new Promise((res) => setTimeout(res, c.waitMs));
    const [ea, eb] = await Promise.all(subs.map(drain));
    // (HELLO's reply carries the client's id: compared by type, as the fuzzer does.)
    const hello = c.kind === undefined && c.args[0].latin1Slice().toUpperCase() === 'HELLO';
    const x = hello ? ra.t : show(ra);
    const y = hello ? rb.t : show(rb);
    if (x !== y || ea.join() !== eb.join()) {
      differences++;
      console.log('DIFF at', n, describeStep(c).slice(0, 300));
      if (x === y) console.log(' events redust', ea, '\n events redis ', eb);
      else if (ra.t === 'array' && rb.t === 'array') {
        const i = ra.v.findIndex((e, j) => j >= rb.v.length || show(e) !== show(rb.v[j]));
        console.log(' element', i, i < 0 ? '(redis has more)' : `${show(ra.v[i])} vs ${i < rb.v.length ? show(rb.v[i]) : '(none)'}`);
      } else console.log(' redust', x.slice(0, 500), '\n redis ', y.slice(0, 500));
      if (!process.env.ALL) break;
    }
    n++;
  }
  console.log('replayed', n, 'differences', differences);
  for (const s of [a, b, ...subs]) s.close();
  clients.close();
  await srv.close();
  await ref.stop();
  return differences === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
