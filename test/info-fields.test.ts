/**
 * INFO fields that follow what the server does, compared with real Redis 7.0 (both engines):
 * clients_in_timeout_table, client_recent_max_input_buffer (a client in the middle of a big
 * argument), reply_buffer_shrinks (each new client's reply buffer shrunk by the cron),
 * expired_time_cap_reached_count (active expiry stopped by its time budget), and the script and
 * function caches' memory (used_memory_scripts_eval, used_memory_functions, used_memory_scripts,
 * as Redis computes them); the Lua VMs' own bytes (used_memory_vm_eval...) are Redust's VMs'.
 */
import * as assert from 'uvu/assert';
import net from 'net';
import { createHash } from 'crypto';
import { enginesUnderTest } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';
import { diffTest, serverPairSuite } from './helpers/suite';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const field = (info: string, name: string) => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('INFO fields', engine);

  diffTest(t, 'clients_in_timeout_table and client_recent_max_input_buffer', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const ctl = await RawConnection.connect(port);
      const a = await RawConnection.connect(port);
      const b = await RawConnection.connect(port);
      const big = net.connect(port, '127.0.0.1');
      big.on('error', () => {});
      try {
        void a.send('BLPOP', 'nokey1', 30).catch(() => undefined);
        void b.send('BLPOP', 'nokey2', 0).catch(() => undefined);
        await new Promise((r) => big.once('connect', r));
        // A SET whose 100,000-byte value is half received.
        big.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n` + 'v'.repeat(50000));
        await sleep(1200);
        const info = text(await ctl.send('INFO', 'clients'));
        return ['blocked_clients', 'clients_in_timeout_table', 'client_recent_max_input_buffer'].map((f) => `${f}:${field(info, f)}`);
      } finally {
        big.destroy();
        a.close();
        b.close();
        ctl.close();
      }
    };
    const [mine, theirs] = await Promise.all([run(srv.port), run(ref.port)]);
    assert.equal(mine, theirs);
    assert.equal(mine.slice(0, 2), ["blocked_clients:2", "clients_in_timeout_table:1"]);
    assert.ok(Number(mine[2].split(":")[1]) > 100000, mine[2]);
  });

  diffTest(t, "reply_buffer_shrinks: each new client's reply buffer is shrunk once by the cron", async ({ srv, ref }) => {
    const run = async (port: number) => {
      const ctl = await RawConnection.connect(port);
      await ctl.send('PING');
      await sleep(400); // (the control connection's own shrink happens before the reset)
      await ctl.send('CONFIG', 'RESETSTAT');
      const cs = await Promise.all([0, 1, 2].map(() => RawConnection.connect(port)));
      for (const c of cs) await c.send('PING');
      await sleep(600);
      const info = text(await ctl.send('INFO', 'stats'));
      for (const c of cs) c.close();
      ctl.close();
      return [field(info, 'reply_buffer_shrinks'), field(info, 'reply_buffer_expands')];
    };
    const [mine, theirs] = await Promise.all([run(srv.port), run(ref.port)]);
    assert.equal(mine, theirs);
    assert.equal(mine, ['3', '0']);
  });

  diffTest(t, 'expired_time_cap_reached_count: active expiry of 100,000 keys stops at its time budget', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const c = await RawConnection.connect(port);
      try {
        await c.send('FLUSHALL');
        await c.send('CONFIG', 'RESETSTAT');
        await c.send('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
        // At hz 500 a cycle's budget is 0.5 ms (25% of 2 ms), which no machine expires 100,000
        // keys in; at the default hz 10 (25 ms) a fast machine could, and the count would stay 0.
        await c.send('CONFIG', 'SET', 'hz', 500);
        for (let i = 0; i < 100_000; i += 10_000) {
          const cmds = Array.from({ length: 10_000 }, (_, j) => ['SET', `k${i + j}`, 'v', 'PX', 50] as (string | number)[]);
          await Promise.all(cmds.map((x) => c.send(...x)));
        }
        await sleep(100);
        await c.send('DEBUG', 'SET-ACTIVE-EXPIRE', 1);
        for (let i = 0; i < 100; i++) {
          if (text(await c.send('INFO', 'keyspace')).trim() === '# Keyspace') break;
          await sleep(50);
        }
        return Number(field(text(await c.send('INFO', 'stats')), 'expired_time_cap_reached_count'));
      } finally {
        await c.send('CONFIG', 'SET', 'hz', 10).catch(() => undefined);
        c.close();
      }
    };
    const [mine, theirs] = await Promise.all([run(srv.port), run(ref.port)]);
    assert.ok(theirs > 0, `Redis's count ${theirs}`);
    assert.ok(mine > 0, `Redust's count ${mine}`);
  });

  diffTest(t, 'used_memory_scripts_eval, used_memory_functions and used_memory_scripts follow the caches as Redis counts them', async ({ srv, ref }) => {
    const names = ['used_memory_scripts_eval', 'used_memory_functions', 'used_memory_scripts', 'number_of_cached_scripts', 'number_of_functions', 'number_of_libraries'];
    const lib = (name: string, n: number) =>
      `#!lua name=${name}\n` +
      Array.from({ length: n }, (_, i) => (i % 2 ? `redis.register_function{function_name='${name}_f${i}', callback=function() return ${i} end, description='function number ${i} of ${name}'}` : `redis.register_function('${name}_f${i}', function() return ${i} end)`)).join('\n');
    const sha = (body: string) => createHash('sha1').update(body).digest('hex');
    const steps: (string | number)[][] = [
      ['SCRIPT', 'LOAD', 'return 1'],
      ['SCRIPT', 'LOAD', `return '${'x'.repeat(31)}'`], // 44 bytes: embedded
      ['SCRIPT', 'LOAD', `return '${'x'.repeat(32)}'`], // 45 bytes: raw
      ['EVAL', `return '${'y'.repeat(300)}'`, 0],
      // The fifth script grows Redis's dict from 4 to 8 slots; while it rehashes (one bucket per
      // lookup) Redis counts both tables (not looked at here). Four lookups finish it.
      ['EVAL', 'return 2', 0, 'unseen'],
      ['SCRIPT', 'EXISTS', sha('return 1'), sha('return 2'), sha('return 1'), sha('return 2')],
      ['FUNCTION', 'LOAD', lib('small', 1)],
      // (4 functions in all: the functions dict keeps its 4 slots, no rehash)
      ['FUNCTION', 'LOAD', lib('bigger', 3)],
      ['FUNCTION', 'DELETE', 'bigger'],
      ['FUNCTION', 'FLUSH'],
      ['SCRIPT', 'FLUSH'],
    ];
    const run = async (port: number) => {
      const c = await RawConnection.connect(port);
      const seen: string[] = [];
      try {
        await c.send('SCRIPT', 'FLUSH');
        await c.send('FUNCTION', 'FLUSH');
        for (const step of [['PING'], ...steps]) {
          if (step[step.length - 1] === 'unseen') {
            await c.send(...step.slice(0, -1));
            continue;
          }
          await c.send(...step);
          const info = text(await c.send('INFO', 'memory'));
          seen.push(`${String(step[0])} ${String(step[1]).slice(0, 12)}: ${names.map((n) => field(info, n)).join(' ')}`);
        }
      } finally {
        c.close();
      }
      return seen;
    };
    const [mine, theirs] = await Promise.all([run(srv.port), run(ref.port)]);
    assert.equal(mine, theirs);
  });

  t("used_memory_vm_eval: the eval VM's own bytes, which 10,000 EVALs do not grow", async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    try {
      await c.send('SET', 'x', 0);
      await c.send('EVAL', 'return redis.call("incr", KEYS[1])', 1, 'x');
      const vm = async () => Number(field(text(await c.send('INFO', 'memory')), 'used_memory_vm_eval'));
      const before = await vm();
      assert.ok(before > 16 * 1024, `the eval VM holds ${before} bytes`);
      await Promise.all(Array.from({ length: 10000 }, () => c.send('EVAL', 'return redis.call("incr", KEYS[1])', 1, 'x')));
      const after = await vm();
      assert.ok(after < before + 100 * 1024, `${before} -> ${after} bytes after 10,000 EVALs`);
      assert.is(field(text(await c.send('INFO', 'memory')), 'used_memory_lua'), String(after));
    } finally {
      c.close();
    }
  });

  t.run();
}
