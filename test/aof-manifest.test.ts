/**
 * The AOF manifest at start, against real Redis 7.0 (aofLoadManifestFromFile, loadAppendOnlyFiles
 * and aofUpgradePrepare), both engines: the same directory is given to a Redust process and to a
 * redis-server process. A manifest Redis refuses (blank or unknown-type lines, a line too long or
 * without its newline, too few or an odd number of words, a path as the file name, a duplicate
 * base, incr sequence numbers not increasing, an empty manifest, a file it names that is missing)
 * makes both exit with the same last log line; an old-style appendonly.aof in `dir` is upgraded
 * when Redis upgrades it (no directory, a manifest naming nothing, or an upgrade interrupted
 * before the file moved), and both then hold the same data and write the same manifest.
 * Skipped without redis-server.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { RawConnection, encodeCommand } from './helpers/raw';
import { parseManifest, formatManifest, AofManifestError } from '../src/persistence/aof';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');

/** A directory layout: files in `dir` (the old-style AOF) and in appendonlydir. */
interface Layout {
  top?: Record<string, string>;
  aof?: Record<string, string>;
}

const cmds = (...list: string[][]) => list.map((c) => encodeCommand(c).latin1Slice()).join('');
const SET1 = cmds(['SET', 'k1', 'v1']);
const SET2 = cmds(['SET', 'k2', 'v2']);

function makeDir(layout: Layout): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-manifest-'));
  for (const [name, text] of Object.entries(layout.top ?? {})) fs.writeFileSync(path.join(dir, name), text, 'latin1');
  if (layout.aof) {
    fs.mkdirSync(path.join(dir, 'appendonlydir'));
    for (const [name, text] of Object.entries(layout.aof)) fs.writeFileSync(path.join(dir, 'appendonlydir', name), text, 'latin1');
  }
  return dir;
}

/** The last log line's message of a server that exited: Redis's text after its level mark, Redust's JSON msg. */
function lastMessage(out: string): string {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1] ?? '';
  if (last.startsWith('{')) return (JSON.parse(last) as { msg: string }).msg;
  const m = /^\d+:[A-Z] .+? [.\-*#] (.*)$/.exec(last);
  return m ? m[1] : last;
}

/** Start a server on `dir` that is expected to refuse it: its exit status and last message. */
async function refuse(kind: 'redis' | 'redust', dir: string, engine: string): Promise<{ status: number | null; last: string; out: string }> {
  const port = String(await freePort());
  const args = ['--port', port, '--dir', dir, '--appendonly', 'yes', '--save', ''];
  const r =
    kind === 'redis'
      ? spawnSync('redis-server', args, { encoding: 'latin1', timeout: 15_000 })
      : spawnSync(process.execPath, [BIN, ...args, '--engine', engine], { encoding: 'latin1', timeout: 15_000 });
  const out = `${r.stdout}${r.stderr}`;
  return { status: r.status, last: lastMessage(r.stdout), out };
}

const manifest = (...lines: string[]) => lines.join('');
const BAD: { name: string; layout: Layout; last: string }[] = [
  { name: 'a file it names is missing', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.2.incr.aof': SET2, 'appendonly.aof.manifest': manifest('file appendonly.aof.1.base.aof seq 1 type b\n', 'file appendonly.aof.1.incr.aof seq 1 type i\n', 'file appendonly.aof.2.incr.aof seq 2 type i\n') } }, last: 'Unable to obtain the AOF file appendonly.aof.1.incr.aof length. stat: No such file or directory' },
  { name: 'incr sequence not increasing', layout: { aof: { 'appendonly.aof.1.incr.aof': SET1, 'appendonly.aof.2.incr.aof': SET2, 'appendonly.aof.manifest': manifest('file appendonly.aof.2.incr.aof seq 2 type i\n', 'file appendonly.aof.1.incr.aof seq 1 type i\n') } }, last: 'Found a non-monotonic sequence number' },
  { name: 'a blank line', layout: { aof: { 'appendonly.aof.1.incr.aof': SET1, 'appendonly.aof.3.incr.aof': SET2, 'appendonly.aof.manifest': manifest('file appendonly.aof.1.incr.aof seq 1 type i\n', '\n', 'file appendonly.aof.3.incr.aof seq 3 type i\n') } }, last: 'Invalid AOF manifest file format' },
  { name: 'two bases', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.2.base.aof': SET2, 'appendonly.aof.manifest': manifest('file appendonly.aof.1.base.aof seq 1 type b\n', 'file appendonly.aof.2.base.aof seq 2 type b\n') } }, last: 'Found duplicate base file information' },
  { name: 'an unknown type', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.manifest': manifest('file appendonly.aof.1.base.aof seq 1 type x\n') } }, last: 'Unknown AOF file type' },
  { name: 'a missing key', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.manifest': manifest('filx appendonly.aof.1.base.aof seq 1 type b\n') } }, last: 'Invalid AOF manifest file format' },
  { name: 'a line too short', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.manifest': manifest('file appendonly.aof.1.base.aof type b\n') } }, last: 'Invalid AOF manifest file format' },
  { name: 'an odd word', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.manifest': manifest('file appendonly.aof.1.base.aof seq 1 type b newkey\n') } }, last: 'Invalid AOF manifest file format' },
  { name: 'a seq that is not a number', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.manifest': manifest('file appendonly.aof.1.base.aof seq x type b\n') } }, last: 'Invalid AOF manifest file format' },
  { name: 'a path as the file name', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.manifest': manifest('file ../appendonly.aof.1.base.aof seq 1 type b\n') } }, last: "File can't be a path, just a filename" },
  { name: 'a line too long', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.manifest': manifest(`file appendonly.aof.1.base.aof seq 1 type b${' x y'.repeat(300)}\n`) } }, last: 'The AOF manifest file contains too long line' },
  { name: 'a last line without its newline', layout: { aof: { 'appendonly.aof.1.base.aof': SET1, 'appendonly.aof.manifest': manifest('file appendonly.aof.1.base.aof seq 1 type b') } }, last: 'The AOF manifest file contains too long line' },
  { name: 'an empty manifest', layout: { aof: { 'appendonly.aof.manifest': '' } }, last: 'Found an empty AOF manifest' },
  { name: 'an interrupted upgrade whose file is gone', layout: { aof: { 'appendonly.aof.manifest': manifest('file appendonly.aof seq 1 type b\n') } }, last: 'Unable to obtain the AOF file appendonly.aof length. stat: No such file or directory' },
];

const t = suite('aof manifest');

t('parseManifest reads what formatManifest writes, quoted names included, comments skipped', () => {
  const entries = [
    { name: 'appendonly.aof.2.base.rdb', seq: 2, type: 'b' as const },
    { name: 'my file "x".aof.1.incr.aof', seq: 1, type: 'h' as const },
    { name: 'my file "x".aof.3.incr.aof', seq: 3, type: 'i' as const },
  ];
  const text = formatManifest(entries);
  assert.match(text, /^file appendonly\.aof\.2\.base\.rdb seq 2 type b\nfile "my file \\"x\\"\.aof\.1\.incr\.aof" seq 1 type h\n/);
  assert.equal(parseManifest(`# comment\n${text}`), entries);
  // keys in any case, unknown keys ignored, a type's first letter
  assert.equal(parseManifest('FILE a.aof SEQ 7 TYPE incr other 1\n'), [{ name: 'a.aof', seq: 7, type: 'i' }]);
  assert.throws(() => parseManifest('file a seq 1 type i\nfile b seq 1 type i\n'), (e: unknown) => e instanceof AofManifestError && e.message === 'Found a non-monotonic sequence number' && e.lines.includes(">>> 'file b seq 1 type i'"));
});

if (!haveRedisServer()) {
  t('redis-server is not installed: the comparisons with Redis are skipped', () => undefined);
} else {
  for (const engine of enginesUnderTest()) {
    t(`[${engine}] manifests Redis refuses: both exit with the same last log line`, async () => {
      for (const c of BAD) {
        const dirs = [makeDir(c.layout), makeDir(c.layout)];
        try {
          const [theirs, mine] = [await refuse('redis', dirs[0], engine), await refuse('redust', dirs[1], engine)];
          assert.is(theirs.status, 1, `${c.name}: redis-server should exit 1\n${theirs.out}`);
          assert.is(theirs.last, c.last, `${c.name}: Redis's last line`);
          assert.is(mine.status, 1, `${c.name}: Redust should exit 1\n${mine.out}`);
          assert.is(mine.last, c.last, `${c.name}: Redust's last line`);
        } finally {
          for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
        }
      }
    });

    t(`[${engine}] an old-style appendonly.aof is upgraded as Redis upgrades it: no directory, an empty directory, an interrupted upgrade`, async () => {
      const OLD = cmds(['SET', 'k1', 'v1'], ['SET', 'k2', 'v2'], ['SET', 'k3', 'v3']);
      const layouts: Record<string, Layout> = {
        'no directory': { top: { 'appendonly.aof': OLD } },
        'a directory without a manifest': { top: { 'appendonly.aof': OLD }, aof: {} },
        'an interrupted upgrade': { top: { 'appendonly.aof': OLD }, aof: { 'appendonly.aof.manifest': 'file appendonly.aof seq 1 type b\n' } },
      };
      for (const [name, layout] of Object.entries(layouts)) {
        const dirs = [makeDir(layout), makeDir(layout)];
        const ref = await startReference(['--dir', dirs[0], '--appendonly', 'yes']);
        const srv = await startRedust(engine, { config: { dir: dirs[1], appendonly: 'yes' } });
        try {
          for (const port of [ref.port, srv.port]) {
            const c = await RawConnection.connect(port);
            const got = await c.send('MGET', 'k1', 'k2', 'k3');
            assert.equal(got, { t: 'array', v: ['v1', 'v2', 'v3'].map((v) => ({ t: 'bulk', v: Buffer.from(v) })) }, `${name}: data on port ${port}`);
            c.close();
          }
          for (const d of dirs) {
            assert.not.ok(fs.existsSync(path.join(d, 'appendonly.aof')), `${name}: the old file moved`);
            assert.ok(fs.existsSync(path.join(d, 'appendonlydir', 'appendonly.aof')), `${name}: into the directory`);
          }
          const read = (d: string) => fs.readFileSync(path.join(d, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
          assert.is(read(dirs[1]), read(dirs[0]), `${name}: the manifests`);
        } finally {
          await srv.close();
          await ref.stop();
          for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
        }
      }
    });
  }
}

t.run();
