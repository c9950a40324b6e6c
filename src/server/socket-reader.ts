/**
 * Reading client sockets without the Readable stream machinery.
 *
 * By default every read on a net.Socket mallocs a 64 KB buffer, wraps the bytes in a new
 * ArrayBuffer and goes through Readable.push -> 'data' emit -> maybeReadMore (a nextTick). Node's
 * `onread` option instead reads into one caller-owned buffer and calls back with the byte count,
 * which removes that per-read cost (measured in docs/benchmarks.md). Node only offers `onread` for
 * sockets it creates itself (net.connect / new Socket), not for accepted ones, so this module
 * switches an accepted socket that is still paused (server option pauseOnConnect) to it: it sets
 * the same per-socket fields the Socket constructor sets for `onread` and hands the handle the user
 * buffer. When this Node does not expose those fields the socket keeps the 'data' event path.
 *
 * All sockets share one read buffer: a callback runs to completion before the next read, and the
 * bytes are copied into a (pooled) Buffer of their exact size before the caller sees them, so
 * argument views may outlive the read (blocked clients keep their keys, the parser keeps a partial
 * frame) exactly as with 'data' chunks.
 */
import type net from 'net';

const READ_BUFFER_BYTES = 64 * 1024;
/** Reads up to this many bytes are copied by a loop instead of Buffer#copy (see the callback). */
const SMALL_READ_BYTES = 64;
let shared: Buffer | null = null;

interface OnreadSymbols {
  buffer: symbol;
  callback: symbol;
}

let symbols: OnreadSymbols | null | undefined;

/** The Socket's private kBuffer / kBufferCb fields (own symbol properties, set to null by the constructor). */
function findSymbols(sock: net.Socket): OnreadSymbols | null {
  if (symbols !== undefined) return symbols;
  let buffer: symbol | undefined;
  let callback: symbol | undefined;
  for (const s of Object.getOwnPropertySymbols(sock)) {
    if (s.description === 'kBuffer') buffer = s;
    else if (s.description === 'kBufferCb') callback = s;
  }
  symbols = buffer && callback ? { buffer, callback } : null;
  return symbols;
}

/**
 * Start reading `sock` (accepted paused) and pass every chunk to `onChunk`. End of stream and
 * errors arrive as the socket's usual 'end'/'close'/'error' events either way.
 */
export function startReading(sock: net.Socket, onChunk: (chunk: Buffer) => void): void {
  const handle = (sock as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  const sym = handle && typeof handle.useUserBuffer === 'function' ? findSymbols(sock) : null;
  // TLS sockets take this path too: their handle is a TLSWrap, whose useUserBuffer makes it
  // decrypt into the shared buffer (measured +15% at -P 16 over TLS against the 'data' path,
  // docs/benchmarks.md). REDUST_STREAM_READS=1 forces the 'data' path for every socket.
  if (sym === null || process.env.REDUST_STREAM_READS === '1') {
    sock.on('data', onChunk);
    sock.resume();
    return;
  }
  shared ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const buf = shared;
  const rec = sock as unknown as Record<symbol, unknown>;
  rec[sym.buffer] = buf;
  rec[sym.callback] = (nread: number): void => {
    const chunk = Buffer.allocUnsafe(nread);
    // A request at -P 1 is one small read (SET k v: ~40 bytes). Buffer#copy costs ~100 ns
    // whatever the size (argument checks, a typed-array view of the source, a native call); a
    // byte loop is cheaper up to about 64 bytes (~50 ns for 14, ~80 ns for 45; measured in one
    // process, Node 20, docs/benchmarks.md "The request path at -P 1").
    if (nread <= SMALL_READ_BYTES) {
      for (let i = 0; i < nread; i++) chunk[i] = buf[i]!;
    } else {
      buf.copy(chunk, 0, 0, nread);
    }
    onChunk(chunk);
  };
  handle!.useUserBuffer!(buf);
  sock.resume();
}
