/**
 * RESP fuzzing (issue 15), bounded to ~20 s: streams of valid and malformed frames (every
 * malformation class of test/helpers/resp-fuzz.ts, then random ones), written at random split
 * points to Redust and to real Redis 7.0; everything each server sends back, and whether it closed
 * the connection, must be equal byte for byte. A server that closes sends nothing after its
 * protocol error. The long run is `npm run bench -- fuzz`. Replay a failure with REDUST_FUZZ_SEED.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'net';
import { enginesUnderTest, haveRedisServer, startRedust, startReference, ReferenceServer } from './helpers/servers';
import { rng, tag, stream, splits, MALFORMATION_CLASSES, Malformation, isProtocolError } from './helpers/resp-fuzz';
import type { RedustServer } from '../src/index';

const HAVE_REF = haveRedisServer();
const SEED = Number(process.env.REDUST_FUZZ_SEED ?? Date.now() % 1_000_000);

interface Outcome {
  data: string;
  closed: boolean;
  /** Closed by a reset (the server closed with our bytes unread): replies still in flight may be lost. */
  reset: boolean;
}

/** Write `bytes` in the given chunks, then collect replies until the server closes or is idle for `idleMs`. */
function play(port: number, bytes: Buffer, chunks: number[], idleMs = 250): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = '';
    let closed = false;
    let reset = false;
    let idle: NodeJS.Timeout | null = null;
    const s = net.connect(port, '127.0.0.1');
    const finish = () => {
      if (idle) clearTimeout(idle);
      s.destroy();
      resolve({ data, closed, reset });
    };
    const arm = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(finish, idleMs);
    };
    s.on('data', (d) => {
      data += d.toString('latin1');
      arm();
    });
    // Closed by the server: an orderly end, or a reset (it closed with our bytes still unread).
    s.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || code === 'EPIPE') {
        closed = true;
        reset = true;
        finish();
      }
    });
    s.on('end', () => {
      closed = true;
      finish();
    });
    s.on('connect', async () => {
      let at = 0;
      for (const n of chunks) {
        if (s.destroyed) return;
        s.write(bytes.subarray(at, at + n));
        at += n;
        if (chunks.length < 64) await new Promise((r) => setImmediate(r));
      }
      arm();
    });
  });
}

function lastError(data: string): string {
  const i = data.lastIndexOf('\r\n-');
  const from = data.startsWith('-') && i < 0 ? 0 : i + 2;
  return data.slice(from + 1, data.length - 2);
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv?: RedustServer; ref?: ReferenceServer }>(`resp-fuzz [${engine}] seed=${SEED}`);
  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine);
    if (HAVE_REF) ctx.ref = await startReference();
  });
  t.after(async (ctx) => {
    await ctx.srv?.close();
    await ctx.ref?.stop();
  });

  const runCases = async (ctx: { srv?: RedustServer; ref?: ReferenceServer }, cases: { cls?: Malformation; seed: number }[]) => {
    const failures: string[] = [];
    const batch = 24;
    for (let i = 0; i < cases.length; i += batch) {
      await Promise.all(
        cases.slice(i, i + batch).map(async ({ cls, seed }) => {
          const r = rng(seed);
          const st = stream(r, tag(r), 1 + Math.floor(r() * 6), cls ? 1 : 0.5, cls);
          const chunks = splits(r, st.bytes.length);
          const [mine, theirs] = await Promise.all([play(ctx.srv!.port, st.bytes, chunks), ctx.ref ? play(ctx.ref.port, st.bytes, chunks) : Promise.resolve(null)]);
          const where = `seed ${seed} class ${cls ?? 'random'} bytes ${JSON.stringify(st.bytes.subarray(0, 300).latin1Slice())}`;
          if (theirs) {
            // A reset can drop the tail of what a server sent (the kernel discards it): then one
            // side's bytes are a prefix of the other's, and only that much can be compared.
            const cut = mine.closed && theirs.closed && ((theirs.reset && mine.data.startsWith(theirs.data)) || (mine.reset && theirs.data.startsWith(mine.data)));
            if (!cut && (mine.data !== theirs.data || mine.closed !== theirs.closed)) {
              failures.push(`${where}\n  redust: ${JSON.stringify(mine.data.slice(-300))} closed=${mine.closed}\n  redis:  ${JSON.stringify(theirs.data.slice(-300))} closed=${theirs.closed}`);
            }
          } else if (mine.closed && !isProtocolError(lastError(mine.data))) {
            failures.push(`${where}\n  closed without a protocol error: ${JSON.stringify(mine.data.slice(-200))}`);
          }
        }),
      );
    }
    assert.is(failures.length, 0, failures.slice(0, 5).join('\n'));
  };

  t('every malformation class, several times, at random split points: same bytes and close as Redis', async (ctx) => {
    const cases = [];
    for (let k = 0; k < 6; k++) for (const cls of MALFORMATION_CLASSES) cases.push({ cls, seed: SEED * 1000 + cases.length });
    await runCases(ctx, cases);
  });

  t('random streams (valid frames, random malformations, random splits): same as Redis', async (ctx) => {
    const cases = [];
    for (let k = 0; k < 240; k++) cases.push({ seed: SEED * 7919 + k });
    await runCases(ctx, cases);
  });

  t('the server is alive and consistent afterwards', async ({ srv }) => {
    const out = await play(srv!.port, Buffer.from('*1\r\n$4\r\nPING\r\n'), [14], 100);
    assert.is(out.data, '+PONG\r\n');
  });

  t.run();
}
