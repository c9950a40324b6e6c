/**
 * CONFIG REWRITE, `include` in config files and multi-parameter CONFIG SET, against real Redis
 * 7.0: both servers start from the same config file (comments, aliases, duplicates, a nested
 * include, a relative glob include after `dir`), get the same CONFIG SETs, rewrite, and the
 * files are compared: the kept part line for line, the appended part as a set of lines (Redis
 * appends in its dict's order). Redis's `user` line (ACL, which Redust does not have) is left out.
 */
import { spawn, ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, haveRedisServer } from './helpers/servers';
import { RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import { rewriteConfigText, formatMemory, REWRITE_SIGNATURE } from '../src/config/rewrite';
import { Config, findConfig } from '../src/config/config';
import { parseConfigFile } from '../src/cli';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');

async function waitReady(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('server exited');
    try {
      const c = await RawConnection.connect(port);
      const r = renderNode(await c.send('PING'));
      c.close();
      if (r.includes('PONG')) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const CONF = (port: number, dir: string) => `# Top comment
   # indented comment
port ${port}
bind 127.0.0.1
save 900 1
save 300 10

# Memory
maxmemory 100mb
maxmemory-policy allkeys-lru
hash-max-ziplist-entries 100
include ${dir}/inc/nested.conf
dbfilename "my dump.rdb"
timeout 0
hz 11
hz 12
loglevel notice
slowlog-max-len 128
appendonly no
dir ${dir}/inc
include glob-*.conf
`;

function setup(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-rewrite-'));
  fs.mkdirSync(path.join(dir, 'inc'));
  fs.writeFileSync(path.join(dir, 'inc', 'nested.conf'), `# nested\nslowlog-log-slower-than 5000\ninclude ${dir}/inc/deeper.conf\n`);
  fs.writeFileSync(path.join(dir, 'inc', 'deeper.conf'), 'maxmemory-samples 7\n');
  fs.writeFileSync(path.join(dir, 'inc', 'glob-a.conf'), 'list-max-ziplist-size 7\n');
  fs.writeFileSync(path.join(dir, 'inc', 'glob-b.conf'), 'zset-max-listpack-entries 99\n');
  return dir;
}

interface Running {
  child: ChildProcess;
  port: number;
  file: string;
  conn: RawConnection;
}

async function start(kind: 'redust' | 'redis', dir: string, engine: string, extra = ''): Promise<Running> {
  const port = await freePort();
  const file = path.join(dir, `${kind}.conf`);
  fs.writeFileSync(file, CONF(port, dir) + extra);
  const child =
    kind === 'redis'
      ? spawn('redis-server', [file], { stdio: 'ignore', cwd: dir })
      : spawn(process.execPath, [BIN, file, '--engine', engine], { stdio: 'ignore', cwd: dir });
  await waitReady(child, port);
  return { child, port, file, conn: await RawConnection.connect(port) };
}

/** The file with the port masked, the kept part (through the signature) and the appended lines. */
function parts(text: string, port: number): { kept: string[]; appended: string[] } {
  const lines = text
    .split('\n')
    .map((l) => l.replace(String(port), 'PORT'))
    .filter((l) => !l.startsWith('user ') && !l.startsWith('engine '));
  const sig = lines.indexOf(REWRITE_SIGNATURE);
  if (sig < 0) return { kept: lines, appended: [] };
  // Blank lines among appended ones depend on where orphaned lines fell, so on Redis's order.
  return { kept: lines.slice(0, sig + 1), appended: lines.slice(sig + 1).filter((l) => l !== '').sort() };
}

const t = suite('config rewrite and include');

t('formatMemory and the rewrite of an empty file', () => {
  assert.is(formatMemory(0), '0');
  assert.is(formatMemory(2 * 1024 ** 3), '2gb');
  assert.is(formatMemory(3 * 1024 * 1024), '3mb');
  assert.is(formatMemory(1536), '1536');
  assert.is(formatMemory(2048), '2kb');
  const cfg = new Config({ hz: '20' });
  const out = rewriteConfigText('', { config: cfg });
  assert.ok(out.startsWith(REWRITE_SIGNATURE + '\n'));
  assert.ok(out.includes('\nhz 20\n'));
  assert.ok(out.includes('\nsave 3600 1\nsave 300 100\nsave 60 10000\n'));
});

t('include: nested, glob, relative to a dir read before it; missing file error', () => {
  const dir = setup();
  const s = parseConfigFile(CONF(1234, dir), path.join(dir, 'x.conf'));
  assert.is(s['slowlog-log-slower-than'], '5000');
  assert.is(s['maxmemory-samples'], '7');
  assert.is(s['list-max-listpack-size'], '7');
  assert.is(s['zset-max-listpack-entries'], '99');
  assert.throws(() => parseConfigFile('include nosuch.conf\n', 'x.conf'), /Fatal error, can't open config file 'nosuch.conf': No such file or directory/);
  assert.throws(() => parseConfigFile('include\n', 'x.conf'), /Bad directive or wrong number of arguments/);
  fs.rmSync(dir, { recursive: true, force: true });
});

const CASES: { name: string; sets: string[][] }[] = [
  {
    name: 'first rewrite',
    sets: [
      ['CONFIG', 'SET', 'maxmemory', '2gb', 'hz', '20', 'timeout', '30', 'maxmemory-policy', 'noeviction', 'notify-keyspace-events', 'KEA'],
      ['CONFIG', 'SET', 'slowlog-max-len', '64', 'client-output-buffer-limit', 'pubsub 1mb 2mb 60', 'list-max-ziplist-size', '5', 'requirepass', ''],
      ['CONFIG', 'SET', 'maxmemory', '5mb', 'hz', 'abc'],
      ['CONFIG', 'SET', 'maxmemory', '5mb', 'maxmemory', '6mb'],
      ['CONFIG', 'SET', 'maxmemory', '5mb', 'nosuch', '6mb'],
      ['CONFIG', 'SET', 'maxmemory', '5mb', 'databases', '6'],
      ['CONFIG', 'SET', 'maxmemory', '5mb', 'maxmemory-policy', 'nosuch'],
      ['CONFIG', 'SET', 'maxmemory'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'GET', 'slowlog-log-slower-than'],
      ['CONFIG', 'GET', 'maxmemory-samples'],
      ['CONFIG', 'GET', 'list-max-listpack-size'],
      ['CONFIG', 'GET', 'zset-max-listpack-entries'],
      ['CONFIG', 'REWRITE'],
      ['CONFIG', 'REWRITE', 'x'],
    ],
  },
  {
    name: 'second rewrite (signature present, values back to defaults, save points changed)',
    sets: [
      ['CONFIG', 'SET', 'save', '60 5 10 1 5 100', 'hz', '10', 'maxmemory', '0', 'client-output-buffer-limit', 'replica 1gb 0 0'],
      ['CONFIG', 'SET', 'hz', '0'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '100000', 'appendfilename', 'x.aof', 'proto-max-bulk-len', '1048577'],
      ['CONFIG', 'SET', 'hz', '100000', 'slowlog-max-len', '77', 'proto-max-bulk-len', '1048577', 'loglevel', 'warning'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'REWRITE'],
    ],
  },
  {
    name: 'third rewrite (save off)',
    sets: [['CONFIG', 'SET', 'save', '', 'latency-tracking-info-percentiles', '50 99'], ['CONFIG', 'REWRITE']],
  },
];

if (haveRedisServer()) {
  for (const engine of ['js-map', 'wasm']) {
    t(`CONFIG SET (several at once, atomic) and CONFIG REWRITE give Redis's file [${engine}]`, async () => {
      const dir = setup();
      const a = await start('redust', dir, engine);
      const b = await start('redis', dir, engine);
      try {
        for (const cs of CASES) {
          for (const cmd of cs.sets) {
            const [ra, rb] = await Promise.all([a.conn.send(...cmd), b.conn.send(...cmd)]);
            assert.is(renderNode(ra), renderNode(rb), `${cs.name}: ${cmd.join(' ')}`);
          }
          const pa = parts(fs.readFileSync(a.file, 'latin1'), a.port);
          const pb = parts(fs.readFileSync(b.file, 'latin1'), b.port);
          assert.equal(pa.kept, pb.kept, `${cs.name}: kept lines`);
          assert.equal(pa.appended, pb.appended, `${cs.name}: appended lines`);
        }
      } finally {
        a.conn.close();
        b.conn.close();
        a.child.kill('SIGKILL');
        b.child.kill('SIGKILL');
      }
      // Redust restarts from its rewritten file with the settings it had.
      const again = spawn(process.execPath, [BIN, a.file, '--engine', engine], { stdio: 'ignore', cwd: dir });
      try {
        await waitReady(again, a.port);
        const c = await RawConnection.connect(a.port);
        assert.match(renderNode(await c.send('CONFIG', 'GET', 'slowlog-max-len')), /"77"/);
        assert.match(renderNode(await c.send('CONFIG', 'GET', 'maxmemory-samples')), /"7"/);
        assert.match(renderNode(await c.send('CONFIG', 'GET', 'save')), /"save", ""/);
        c.close();
      } finally {
        again.kill('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  t('DEBUG CONFIG-REWRITE-FORCE-ALL writes every option at its default too, as Redis; Redust restarts from the file with the same settings', async () => {
    const dir = setup();
    const a = await start('redust', dir, 'wasm', 'enable-debug-command yes\n');
    const b = await start('redis', dir, 'wasm', 'enable-debug-command yes\n');
    let before = '';
    try {
      for (const r of [a, b]) assert.is(renderNode(await r.conn.send('DEBUG', 'CONFIG-REWRITE-FORCE-ALL')), renderNode(await b.conn.send('PING')).replace('PONG', 'OK'));
      const ours = new Set(fs.readFileSync(a.file, 'latin1').split('\n').map((l) => l.replace(String(a.port), 'PORT')));
      // Each line Redis writes for a setting Redust has (and shows the same in CONFIG GET) is in Redust's file.
      const theirs = fs.readFileSync(b.file, 'latin1').split('\n').map((l) => l.replace(String(b.port), 'PORT'));
      let compared = 0;
      for (const line of theirs) {
        const name = line.split(' ')[0];
        if (line === '' || line.startsWith('#') || !findConfig(name) || findConfig(name)!.name !== name) continue;
        if (renderNode(await a.conn.send('CONFIG', 'GET', name)).replace(String(a.port), 'PORT') !== renderNode(await b.conn.send('CONFIG', 'GET', name)).replace(String(b.port), 'PORT')) continue;
        compared++;
        assert.ok(ours.has(line), `Redis wrote '${line}', Redust did not`);
      }
      assert.ok(compared > 100, `only ${compared} lines compared`);
      assert.ok(ours.has('hz 12') && ours.has('timeout 0') && ours.has('activerehashing yes'), 'defaults written too');
      before = renderNode(await a.conn.send('CONFIG', 'GET', '*'));
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    } finally {
      a.conn.close();
      b.conn.close();
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
    const again = spawn(process.execPath, [BIN, a.file, '--engine', 'wasm'], { stdio: 'ignore', cwd: dir });
    try {
      await waitReady(again, a.port);
      const c = await RawConnection.connect(a.port);
      assert.is(renderNode(await c.send('CONFIG', 'GET', '*')), before);
      c.close();
    } finally {
      again.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
} else t.skip('CONFIG REWRITE compared with Redis (redis-server not installed)');

t.run();
