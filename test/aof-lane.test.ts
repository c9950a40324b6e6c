/**
 * The fast lane with appendonly yes (src/server/lane.ts, Propagator.propagateVerbatim): on the
 * js-map engine, pipelined SET, INCR, DECR, INCRBY, DECRBY, LPUSH, RPUSH and HSET run in the
 * lane and reach the AOF as the client sent them (the wasm engine's lane stays closed while
 * commands are propagated). A pipeline mixing them with what the lane leaves to the general path
 * (reads, SADD, creations, errors, SELECT, names in any case) gives replies, an incr file byte for
 * byte as Redis 7.0's, and after a restart from that file the same dataset (DEBUG DIGEST).
 * Skipped without redis-server.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { type Arg, RawConnection, encodeCommand, text } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

async function pipeline(c: RawConnection, cmds: Arg[][]): Promise<string[]> {
  c.socket.write(Buffer.concat(cmds.map(encodeCommand)));
  const out: string[] = [];
  for (let i = 0; i < cmds.length; i++) out.push(renderNode(await c.next()));
  return out;
}

async function laneCommands(c: RawConnection): Promise<number> {
  return Number(/redust_lane_commands:(\d+)/.exec(text(await c.send('INFO', 'stats')))![1]);
}

function script(): Arg[][] {
  const cmds: Arg[][] = [];
  for (let i = 0; i < 150; i++) {
    cmds.push(['SET', `k${i % 20}`, `v${i}`], ['INCR', 'n'], ['INCRBY', 'n', 5], ['decr', 'n'], ['DecrBy', 'n', 2]);
    cmds.push(['LPUSH', 'l', `x${i}`], ['RPUSH', 'l', `y${i}`, 'z'], ['HSET', 'h', `f${i % 10}`, `w${i}`, 'g', '1'], ['set', 'bin', Buffer.from([0, 13, 10, 255, i & 255])]);
    if (i % 5 === 0) cmds.push(['GET', 'k1'], ['SADD', 's', `m${i % 3}`], ['INCR', 'k1'], ['LPUSH', `new${i}`, 'a'], ['HSET', 'l', 'f', 'v']);
    if (i % 17 === 0) cmds.push(['SELECT', 1], ['SET', 'a', `b${i}`], ['INCR', 'c'], ['SELECT', 0]);
    if (i % 23 === 0) cmds.push(['SET', 'k2', 'v', 'XX'], ['SADD', 's', 'm0'], ['INCRBY', 'n', 'x']);
  }
  return cmds;
}

for (const engine of enginesUnderTest()) {
  test(`fast lane with appendonly yes [${engine}]: replies, incr file and reloaded dataset as Redis's`, async () => {
    if (!haveRedisServer()) return;
    const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aoflane-'));
    const theirs = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aoflane-ref-'));
    const config = { dir: mine, appendonly: 'yes', save: '' };
    let srv = await startRedust(engine, { persistence: true, config });
    const ref = await startReference(['--dir', theirs, '--appendonly', 'yes']);
    const a = await RawConnection.connect(srv.port);
    const b = await RawConnection.connect(ref.port);
    try {
      // Values the lane works on exist first (made by the general path).
      const setup: Arg[][] = [['RPUSH', 'l', 'a'], ['HSET', 'h', 'f', 'v'], ['SET', 'n', 10]];
      assert.equal(await pipeline(a, setup), await pipeline(b, setup));
      const before = await laneCommands(a);
      const cmds = script();
      const [ra, rb] = await Promise.all([pipeline(a, cmds), pipeline(b, cmds)]);
      for (let i = 0; i < cmds.length; i++) assert.is(ra[i], rb[i], `reply ${i} to ${cmds[i].map(String).join(' ')}`);
      const ran = (await laneCommands(a)) - before;
      if (engine === 'js-map') assert.ok(ran > 1000, `the lane ran ${ran} commands`);
      else assert.is(ran, 0, 'the wasm engine keeps its lane closed while commands are propagated');
      const incr = (dir: string) => fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
      assert.is(incr(mine), incr(theirs), 'the incr files');
      const digest = text(await b.send('DEBUG', 'DIGEST'));
      assert.is(text(await a.send('DEBUG', 'DIGEST')), digest);
      a.close();
      await srv.close();
      srv = await startRedust(engine, { persistence: true, config });
      const a2 = await RawConnection.connect(srv.port);
      assert.is(text(await a2.send('DEBUG', 'DIGEST')), digest, 'the dataset loaded from the AOF');
      a2.close();
    } finally {
      a.close();
      b.close();
      await srv.close();
      await ref.stop();
      fs.rmSync(mine, { recursive: true, force: true });
      fs.rmSync(theirs, { recursive: true, force: true });
    }
  });
}

test.run();
