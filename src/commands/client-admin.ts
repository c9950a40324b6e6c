/**
 * CLIENT subcommands for operating a server (networking.c): PAUSE, UNPAUSE, and client-side
 * caching's TRACKING, CACHING, GETREDIR, TRACKINGINFO (server/tracking.ts). The connection-level
 * CLIENT subcommands (ID, LIST, KILL, SETNAME...) are in connection.ts.
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, NOT_INT, SYNTAX } from './errors';
import { isWord } from './args';
import { latin1, parseInt64 } from '../util/number';
import { timeoutArg, TimeoutUnit } from './blocking';
import { PauseType } from '../server/pause';

/** CLIENT PAUSE timeout [WRITE|ALL] */
function clientPause(c: Client, argv: Buffer[]): void {
  if (argv.length > 4) fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1])}'. Try CLIENT HELP.`);
  let type = PauseType.ALL;
  if (argv.length === 4) {
    if (isWord(argv[3], 'write')) type = PauseType.WRITE;
    else if (isWord(argv[3], 'all')) type = PauseType.ALL;
    else fail('ERR CLIENT PAUSE mode must be WRITE or ALL');
  }
  const ms = timeoutArg(argv[2], TimeoutUnit.MILLISECONDS);
  const end = ms > 0 ? c.server.clock.now() + ms : 0;
  c.server.pause.pause(end, type);
  c.reply.ok();
}

function clientUnpause(c: Client): void {
  c.server.pause.unpause();
  c.reply.ok();
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP] */
function clientTracking(c: Client, argv: Buffer[]): void {
  const tracking = c.server.tracking;
  let redir = 0;
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: Buffer[] = [];
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j], 'redirect') && more) {
      j++;
      if (redir !== 0) fail('ERR A client can only redirect to a single other client');
      redir = parseInt64(argv[j]);
      if (Number.isNaN(redir)) fail(NOT_INT);
      if (!c.server.clients.has(redir)) fail('ERR The client ID you want redirect to does not exist');
    } else if (isWord(argv[j], 'bcast')) opts.bcast = true;
    else if (isWord(argv[j], 'optin')) opts.optin = true;
    else if (isWord(argv[j], 'optout')) opts.optout = true;
    else if (isWord(argv[j], 'noloop')) opts.noloop = true;
    else if (isWord(argv[j], 'prefix') && more) prefixes.push(argv[++j]);
    else fail(SYNTAX);
  }
  if (isWord(argv[2], 'on')) {
    if (!opts.bcast && prefixes.length > 0) fail('ERR PREFIX option requires BCAST mode to be enabled');
    const cur = tracking.stateOf(c);
    if (cur !== undefined && cur.bcast !== opts.bcast) {
      fail("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if (opts.bcast && (opts.optin || opts.optout)) fail('ERR OPTIN and OPTOUT are not compatible with BCAST');
    if (opts.optin && opts.optout) fail("ERR You can't specify both OPTIN mode and OPTOUT mode");
    if (cur !== undefined && ((opts.optin && cur.optout) || (opts.optout && cur.optin))) {
      fail("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if (opts.bcast) {
      const err = tracking.prefixCollision(c, prefixes);
      if (err !== null) fail(err);
    }
    tracking.enable(c, redir, opts, prefixes);
  } else if (isWord(argv[2], 'off')) tracking.disable(c);
  else fail(SYNTAX);
  c.reply.ok();
}

/** CLIENT CACHING YES|NO */
function clientCaching(c: Client, argv: Buffer[]): void {
  const s = c.server.tracking.stateOf(c);
  if (s === undefined) fail('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  if (isWord(argv[2], 'yes')) {
    if (!s.optin) fail('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (isWord(argv[2], 'no')) {
    if (!s.optout) fail('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else fail(SYNTAX);
  s.caching = true;
  c.reply.ok();
}

function clientGetredir(c: Client): void {
  c.reply.int(c.server.tracking.redirOf(c));
}

function clientTrackinginfo(c: Client): void {
  const s = c.server.tracking.stateOf(c);
  const r = c.reply;
  r.map(3);
  r.bulk('flags');
  const flags = [s ? 'on' : 'off'];
  if (s) {
    if (s.bcast) flags.push('bcast');
    if (s.optin) flags.push('optin');
    if (s.optin && s.caching) flags.push('caching-yes');
    if (s.optout) flags.push('optout');
    if (s.optout && s.caching) flags.push('caching-no');
    if (s.noloop) flags.push('noloop');
    if (s.brokenRedir) flags.push('broken_redirect');
  }
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('redirect');
  r.int(s ? s.redirect : -1);
  r.bulk('prefixes');
  const prefixes = s?.prefixes ? [...s.prefixes].sort() : [];
  r.array(prefixes.length);
  for (const p of prefixes) r.bulk(Buffer.from(p, 'latin1'));
}

export const commands: CommandRow[] = [
  { name: 'client|tracking', handler: clientTracking },
  { name: 'client|caching', handler: clientCaching },
  { name: 'client|getredir', handler: clientGetredir },
  { name: 'client|trackinginfo', handler: clientTrackinginfo },
  { name: 'client|pause', handler: clientPause },
  { name: 'client|unpause', handler: clientUnpause },
];
