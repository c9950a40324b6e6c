/**
 * Admission of a new TCP connection, after the maxclients check (Redis's clientAcceptHandler):
 * protected mode as Redis 7.0 has it, and the verbose-level connection log lines.
 *
 * Protected mode (protected-mode yes, the default): while the default user has no password
 * (requirepass empty), a client whose peer address is not exactly 127.0.0.1 or ::1 gets the DENIED
 * error below and is closed, whatever the bind addresses are (7.0 dropped the older "no bind
 * address" condition); the refusal counts in INFO rejected_connections. 127.0.0.2 is refused too,
 * as in Redis. Node reports IPv4 peers of a dual-stack listener as ::ffff:127.0.0.1: that is the
 * loopback interface as well.
 */
import type net from 'net';
import type { Server } from './server';

/** Redis 7.0.15's text, byte for byte (including its "Setup a an"). */
export const PROTECTED_MODE_DENIED =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. ' +
  'If you want to connect from external computers to Redis you may adopt one of the following solutions: ' +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
  "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  '4) Setup a an authentication password for the default user. ' +
  'NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n';

/** True for a peer on the loopback interface in Redis's sense (exactly 127.0.0.1 or ::1). */
export function isLoopbackPeer(addr: string | undefined): boolean {
  // undefined: a unix socket peer (local, as Redis's connIsLocal says).
  return addr === undefined || addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
}

/**
 * Write `reply` to a connection the server will not serve, and close it. Resumed: a socket
 * accepted paused would never read the peer's FIN and never close. An error on it (the peer
 * resets the connection before the reply is out) only destroys it: a socket's 'error' without a
 * listener would be an uncaught exception.
 */
export function refuseConnection(sock: net.Socket, reply: string): void {
  sock.on('error', () => sock.destroy());
  sock.resume();
  sock.end(reply);
}

/**
 * Called by the accept path for every new connection. Returns false when the connection was
 * refused (the socket is ended with the DENIED error); true when the client may be created.
 */
export function admitConnection(server: Server, sock: net.Socket): boolean {
  // (A unix socket peer has no address: Redis's "Accepted connection to <path>".)
  const peer = sock.remoteAddress === undefined ? `connection to ${server.config.str('unixsocket')}` : `${sock.remoteAddress}:${sock.remotePort}`;
  if (server.config.bool('protected-mode') && server.acl.defaultUser.nopass && !isLoopbackPeer(sock.remoteAddress)) {
    server.stats.rejectedConnections++;
    server.logger.debug({ client: peer }, 'Connection refused by protected mode (no password set, client not on the loopback interface)');
    refuseConnection(sock, PROTECTED_MODE_DENIED);
    return false;
  }
  // Redis logs these at verbose ("Accepted ...", "Client closed connection ...").
  server.logger.debug(`Accepted ${peer}`);
  sock.once('close', () => server.logger.debug({ client: peer }, 'Client closed connection'));
  return true;
}
