/**
 * The replication, cluster and module commands of a standalone server without replicas, cluster
 * mode or modules, compared with real Redis 7.0: CLUSTER * / ASKING / READONLY / READWRITE answer
 * "cluster support disabled", MODULE LIST is empty and LOAD is refused, FAILOVER and REPLCONF
 * parse as Redis. REPLICAOF to a master and SYNC/PSYNC, which Redust cannot do, are refused with
 * a clear error (Redis would start replicating).
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';

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

  t('REPLICAOF a master, SYNC and PSYNC are refused: no replication (Redis would start it)', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    try {
      assert.match(text(await c.send('REPLICAOF', '127.0.0.1', '6380')), /^ERR REPLICAOF is not supported by Redust yet: replication is not implemented/);
      assert.match(text(await c.send('SYNC')), /^ERR SYNC is not supported by Redust yet/);
      assert.match(text(await c.send('PSYNC', '?', '-1')), /^ERR PSYNC is not supported by Redust yet/);
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
