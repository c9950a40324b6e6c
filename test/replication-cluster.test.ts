/**
 * The replication, cluster and module commands of a standalone server without replicas, cluster
 * mode or modules, compared with real Redis 7.0: CLUSTER * / ASKING / READONLY / READWRITE answer
 * "cluster support disabled", MODULE LIST is empty and LOAD is refused, FAILOVER and REPLCONF
 * parse as Redis. REPLICAOF to a master and SYNC/PSYNC, which Redust cannot do, are refused with
 * a clear error (Redis would start replicating).
 */
import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest, haveRedisServer, startReference } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';

const run = promisify(execFile);

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('replication, cluster and module commands', engine);

  diffTest(t, 'replies and errors as Redis without replicas, cluster or modules', async ({ d }) => {
    await d.all([
      ['CLUSTER', 'INFO'],
      ['CLUSTER', 'KEYSLOT', 'foo'],
      ['CLUSTER', 'NODES'],
      ['CLUSTER', 'HELP'],
      ['CLUSTER', 'foo'],
      ['CLUSTER', 'INFO', 'x'],
      ['CLUSTER'],
      ['ASKING'],
      ['READONLY'],
      ['READWRITE'],
      ['READONLY', 'x'],
      ['MODULE', 'LIST'],
      ['MODULE', 'HELP'],
      ['MODULE', 'LOAD', '/x.so'],
      ['MODULE', 'LOADEX', '/x.so'],
      ['MODULE', 'UNLOAD', 'x'],
      ['MODULE', 'LOAD'],
      ['MODULE', 'foo'],
      ['MODULE', 'LIST', 'x'],
      ['MODULE'],
      ['FAILOVER'],
      ['FAILOVER', 'ABORT'],
      ['FAILOVER', 'ABORT', 'x'],
      ['FAILOVER', 'TIMEOUT', '0'],
      ['FAILOVER', 'TIMEOUT', 'abc'],
      ['FAILOVER', 'TO', 'h', 'x'],
      ['FAILOVER', 'TO', 'a', '1', 'TO', 'b', '2'],
      ['FAILOVER', 'FORCE', 'FORCE'],
      ['FAILOVER', 'TO', 'a', '1', 'FORCE'],
      ['FAILOVER', 'foo'],
      ['REPLCONF'],
      ['REPLCONF', 'x'],
      ['REPLCONF', 'listening-port', '6380'],
      ['REPLCONF', 'listening-port', 'abc'],
      ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'],
      ['REPLCONF', 'ip-address', '1.2.3.4'],
      ['REPLCONF', 'ip-address', 'x'.repeat(300)],
      ['REPLCONF', 'rdb-only', '2'],
      ['REPLCONF', 'foo', '1'],
      ['REPLICAOF', 'NO', 'ONE'],
      ['SLAVEOF', 'no', 'one'],
      ['REPLICAOF', 'host', '-1'],
      ['REPLICAOF', 'host', 'abc'],
      ['REPLICAOF', 'host'],
      ['MULTI'],
      ['REPLICAOF', 'NO', 'ONE'],
      ['MODULE', 'LIST'],
      ['CLUSTER', 'INFO'],
      ['FAILOVER'],
      ['EXEC'],
      ['EVAL', "return redis.pcall('CLUSTER', 'INFO')", '0'],
      ['EVAL', "return redis.pcall('MODULE', 'LIST')", '0'],
      ['EVAL', "return redis.pcall('READONLY')", '0'],
      ['ROLE'],
    ]);
  });

  if (haveRedisServer()) {
    t('redis-cli --rdb takes a backup: the RDB a SYNC after REPLCONF rdb-only sends loads in Redis with the same digest', async ({ srv }) => {
      const c = await RawConnection.connect(srv.port);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-sync-'));
      try {
        await c.send('FLUSHALL');
        await c.send('SET', 'str', 'v');
        await c.send('RPUSH', 'list', 'a', 'b', 'c');
        await c.send('HSET', 'hash', 'f', '1', 'g', '2');
        await c.send('ZADD', 'zset', '1', 'm', '2.5', 'n');
        await c.send('SADD', 'set', 'x', 'y');
        await c.send('SET', 'ttl', 'v', 'EX', '1000');
        for (let i = 0; i < 3000; i++) await c.send('SET', `k:${i}`, String(i));
        const lastsave = await c.send('LASTSAVE');
        const digest = text(await c.send('DEBUG', 'DIGEST'));
        const r = await run('redis-cli', ['-p', String(srv.port), '--rdb', path.join(dir, 'dump.rdb')]);
        assert.match(r.stdout + r.stderr, /Transfer finished with success/);
        assert.equal(await c.send('LASTSAVE'), lastsave, 'not a save of the dataset');
        assert.match(text(await c.send('INFO', 'persistence')), /rdb_bgsave_in_progress:0/);
        const ref = await startReference(['--dir', dir, '--dbfilename', 'dump.rdb']);
        try {
          const rc = await RawConnection.connect(ref.port);
          assert.is(text(await rc.send('DEBUG', 'DIGEST')), digest);
          rc.close();
        } finally {
          await ref.stop();
        }
        // The server goes on serving.
        assert.is(text(await c.send('PING')), 'PONG');
      } finally {
        c.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  t('REPLICAOF a master, SYNC and PSYNC are refused: no replication (Redis would start it)', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    try {
      assert.match(text(await c.send('REPLICAOF', '127.0.0.1', '6380')), /^ERR REPLICAOF is not supported by Redust yet: replication is not implemented/);
      assert.match(text(await c.send('SYNC')), /^ERR SYNC is not supported by Redust yet/);
      await c.send('REPLCONF', 'rdb-only', '1');
      assert.match(text(await c.send('PSYNC', '?', '-1')), /^ERR PSYNC is not supported by Redust yet/);
      await c.send('REPLCONF', 'rdb-filter-only', 'functions');
      assert.match(text(await c.send('SYNC')), /^ERR SYNC with rdb-filter-only is not supported by Redust yet/);
      assert.match(text(await c.send('REPLCONF', 'rdb-filter-only', 'keys')), /^ERR Unsupported rdb-filter-only option: keys/);
      // REPLCONF ACK / GETACK from a client that is not a replica: no reply at all, as Redis.
      c.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n1\r\n');
      assert.is(text(await c.send('PING')), 'PONG');
      assert.match(text(await c.send('INFO', 'replication')), /role:master/);
    } finally {
      c.close();
    }
  });
  t.run();
}
