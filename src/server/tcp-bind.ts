/**
 * Synchronous TCP listen, for CONFIG SET port / tls-port / bind (docs/compatibility.md,
 * "Listeners").
 *
 * Why: Redis binds the new listening sockets inside CONFIG SET and replies knowing the outcome
 * (changeListenPort / changeBindAddr; on failure the whole CONFIG SET is rolled back). Node's
 * net.Server.listen reports a bind error only later, as an 'error' event, while a command handler
 * (and EXEC, which runs a CONFIG SET among other commands) must finish synchronously. libuv's TCP
 * handle binds and listens at once and returns a negative errno: `bind`/`bind6` fail at once
 * for a bad address, and `listen` for an address in use (libuv defers EADDRINUSE from bind to
 * listen). The bound handle is then given to net.Server.listen(handle), which adopts it (TLS
 * servers too, tls.Server being a net.Server).
 *
 * The handle class comes from Node's internal `tcp_wrap` binding (process.binding), the same
 * one net.Server uses. When a Node version no longer offers it, `available` is false: start-up
 * binds through net.Server.listen as before, and a run-time change of port or bind fails with a
 * log line saying why.
 *
 * Addresses must be IP literals: there is no synchronous name resolution (start-up resolves
 * names first, asynchronously; see Listeners).
 */
import net from 'net';
import os from 'os';
import { strerror } from '../util/errno';

interface TcpHandle {
  bind(host: string, port: number): number;
  bind6(host: string, port: number, flags: number): number;
  listen(backlog: number): number;
  close(): void;
}
interface TcpWrap {
  TCP: new (type: number) => TcpHandle;
  constants: { SERVER: number; UV_TCP_IPV6ONLY: number };
}

function loadTcpWrap(): TcpWrap | null {
  try {
    const b = (process as unknown as { binding(name: string): TcpWrap }).binding('tcp_wrap');
    return typeof b?.TCP === 'function' && typeof b.constants?.SERVER === 'number' ? b : null;
  } catch {
    return null;
  }
}

const tcpWrap = loadTcpWrap();

/** True when listenSync can work on this Node. */
export const syncListenAvailable = tcpWrap !== null;

/** A bind/listen failure: `code` is the errno name (EADDRINUSE...), `message` glibc's text. */
export class ListenError extends Error {
  constructor(
    readonly code: string,
    readonly syscall: string,
  ) {
    super(`${syscall}: ${strerror({ code })}`);
  }
}

/** The errno name of libuv's negative error number (EADDRINUSE...). */
function errname(err: number): string {
  const sys = os.constants.errno as Record<string, number>;
  for (const [name, n] of Object.entries(sys)) if (n === -err) return name;
  return `E${-err}`;
}

/**
 * Bind `host` (an IP literal; "::"-style addresses IPv6 only, as Redis sets IPV6_V6ONLY) on
 * `port`, listen with `backlog`, and hand the socket to `srv`. Throws ListenError when the
 * address is bad or in use (srv is left untouched), Error when the binding is unavailable.
 */
export function listenSync(srv: net.Server, host: string, port: number, backlog: number): void {
  if (!tcpWrap) throw new Error("this Node.js has no synchronous TCP listen (process.binding('tcp_wrap'))");
  const family = net.isIP(host);
  if (family === 0) throw new ListenError('EINVAL', 'bind');
  const h = new tcpWrap.TCP(tcpWrap.constants.SERVER);
  let err = family === 6 ? h.bind6(host, port, tcpWrap.constants.UV_TCP_IPV6ONLY) : h.bind(host, port);
  if (err === 0) {
    err = h.listen(backlog);
    if (err !== 0) {
      h.close();
      throw new ListenError(errname(err), err === -os.constants.errno.EADDRINUSE ? 'bind' : 'listen');
    }
  } else {
    h.close();
    throw new ListenError(errname(err), 'bind');
  }
  // (net.Server listens on the adopted handle again: with the same backlog, tcp-backlog.)
  srv.listen(h as unknown as net.ListenOptions, backlog);
}
