/**
 * A Redust server and a real Redis 7.0 side by side, each with appendonly yes in its own fresh
 * directory and the same AOF settings: the AOF tests compare what the two write.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startRedust, startReference } from './servers';
import { RawConnection, text } from './raw';
import type { ReferenceServer } from './servers';
import type { RedustServer } from '../../src/index';
import type { EngineName } from '../../src/engine/types';
import { parseAofCommand, parseManifest } from '../../src/persistence/aof';

export interface AofPair {
  srv: RedustServer;
  ref: ReferenceServer;
  /** Redust's dir and Redis's dir (each holds appendonlydir). */
  mine: string;
  theirs: string;
}

export async function startAofPair(engine: EngineName, settings: Record<string, string> = {}): Promise<AofPair> {
  const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aof-'));
  const theirs = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aof-'));
  const srv = await startRedust(engine, { config: { dir: mine, appendonly: 'yes', ...settings } });
  const args: string[] = [];
  for (const [k, v] of Object.entries(settings)) args.push(`--${k}`, v);
  const ref = await startReference(['--dir', theirs, '--appendonly', 'yes', ...args]);
  return { srv, ref, mine, theirs };
}

/** Stop both (safe to call again after a failure) and remove their directories. */
export async function stopAofPair(p: AofPair): Promise<void> {
  await p.srv.close().catch(() => undefined);
  await p.ref.stop().catch(() => undefined);
  fs.rmSync(p.mine, { recursive: true, force: true });
  fs.rmSync(p.theirs, { recursive: true, force: true });
}

/** DEBUG DIGEST of the server on `port`, over a connection of its own. */
export async function digest(port: number): Promise<string> {
  const c = await RawConnection.connect(port);
  const d = text(await c.send('DEBUG', 'DIGEST'));
  c.close();
  return d;
}

/** Every command of the incr files of an appendonlydir (`dir`/appendonlydir), in manifest order, as text arrays. */
export function incrCommands(dir: string): string[][] {
  const adir = path.join(dir, 'appendonlydir');
  const manifest = parseManifest(fs.readFileSync(path.join(adir, 'appendonly.aof.manifest'), 'latin1'));
  const out: string[][] = [];
  for (const e of manifest.filter((x) => x.type === 'i').sort((a, b) => a.seq - b.seq)) {
    const buf = fs.readFileSync(path.join(adir, e.name));
    let pos = 0;
    while (pos < buf.length) {
      const p = parseAofCommand(buf, pos);
      if (typeof p === 'string') throw new Error(`${e.name}: ${p} at ${pos}`);
      out.push(p.argv.map((a) => a.latin1Slice()));
      pos = p.next;
    }
  }
  return out;
}
