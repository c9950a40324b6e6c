/**
 * Command line: `redust [config-file] [--option value ...]`, like redis-server. Settings are
 * merged in this order (later wins): defaults, REDUST_* environment variables, the config file,
 * command-line options.
 */
import fs from 'fs';
import { spawn } from 'child_process';
import { Config, CONFIG_DEFS, findConfig, parseConfigValue, parseMemory, takesSeveralArgs } from './config/config';
import { OFF_ONLY_SETTINGS } from './config/unsupported';
import { createEngine } from './engine';
import type { EngineName } from './engine/types';
import { Server, REDIS_VERSION, REDUST_VERSION } from './server/server';
import { checkRdbFileReport, describeLoadError, persistenceOf } from './persistence/rdb';
import { loadRdbFileInSlices } from './persistence/loading';
import { loadingOf } from './persistence/bgsave';
import { createLogger, RedisLogLevel } from './observability/logger';
import { saveForShutdown, shutdownFlagsOf } from './persistence/shutdown';
import { checkTransparentHugePages, logStartBanner, setProcTitle } from './server/process-settings';
import { splitArgs } from './protocol/parser';
import { repr } from './config/rewrite';
import { ALL_COMMANDS } from './commands';
import path from 'path';
import { IncludeContext, IncludeError, includedFiles, mergeIncluded, readConfigText } from './config/include';
import { HeapTrim } from './server/heap-trim';
import { scriptingOf } from './scripting/engine';
import { strerror } from './util/errno';
import { AofManifestError } from './persistence/aof';
import { crashedBySignal, PanicError } from './server/panic';

const USAGE = `Usage: redust [/path/to/redis.conf] [options] [-]
       redust -v or --version
       redust -h or --help

Examples:
       redust                              (port 6379, wasm engine)
       redust --port 7777 --engine js-map
       redust /etc/redust/redis.conf --loglevel verbose --requirepass secret

Options are redis.conf settings written as --name value, for example:
  --port N             TCP port (default 6379; 0 picks a free port)
  --bind ADDR          address(es) to listen on (default "* -::*": every IPv4 and IPv6 address;
                       protected mode refuses non-loopback clients while no password is set)
  --engine NAME        storage engine: wasm or js-map (default wasm)
  --requirepass PASS   password for the default user
  --aclfile PATH       ACL users file (or \`user ...\` lines in the config file)
  --databases N        number of databases (default 16)
  --dir PATH           working directory for persistence files
  --loglevel LEVEL     debug, verbose, notice or warning (default notice)
  --logfile PATH       append the log to PATH instead of stdout
  --maxmemory BYTES    memory limit (accepts kb, mb, gb suffixes)

Environment: REDUST_ADDR=host:port, REDUST_AUTH_PASSWORD, REDUST_MAXMEMORY_BYTES, REDUST_MAXVALUE_BYTES,
REDUST_RDB_PATH, REDUST_METRICS_ADDR, REDUST_ENGINE (wasm or js-map).`;

export class CliError extends Error {}

/** Environment variables of the seed project, mapped onto settings. */
export function envSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.REDUST_ADDR) {
    const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(env.REDUST_ADDR);
    if (!m) throw new CliError(`REDUST_ADDR must be host:port, got '${env.REDUST_ADDR}'`);
    if (m[1]) out.bind = m[1];
    out.port = m[2];
  }
  if (env.REDUST_AUTH_PASSWORD) out.requirepass = env.REDUST_AUTH_PASSWORD;
  for (const [name, key] of [['REDUST_MAXMEMORY_BYTES', 'maxmemory'], ['REDUST_MAXVALUE_BYTES', 'maxvalue-bytes']] as const) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (Number.isNaN(parseMemory(v))) throw new CliError(`${name} must be a byte count with an optional KB/MB/GB suffix, got '${v}'`);
    out[key] = v;
  }
  if (env.REDUST_RDB_PATH) {
    const p = env.REDUST_RDB_PATH;
    const slash = p.lastIndexOf('/');
    if (slash >= 0) {
      out.dir = p.slice(0, slash) || '/';
      out.dbfilename = p.slice(slash + 1);
    } else out.dbfilename = p;
  }
  if (env.REDUST_METRICS_ADDR) out['metrics-addr'] = env.REDUST_METRICS_ADDR;
  if (env.REDUST_ENGINE) out.engine = env.REDUST_ENGINE;
  return out;
}

/**
 * rename-command directives in order ([old, new]; new '' removes the command). They are not
 * settings (CONFIG GET does not show them, as in Redis): the CLI applies them to the command table.
 */
export type Renames = [string, string][];

/** Redis's check of one rename-command against the command names as renamed so far. */
function checkRename(names: Set<string>, from: string, to: string): void {
  if (!names.has(from.toLowerCase())) throw new Error('No such command in rename-command');
  names.delete(from.toLowerCase());
  if (to !== '') {
    if (names.has(to.toLowerCase())) throw new Error('Target command name already exists');
    names.add(to.toLowerCase());
  }
}

function commandNames(): Set<string> {
  return new Set(ALL_COMMANDS.filter((r) => !r.name.includes('|')).map((r) => r.name.toLowerCase()));
}

/** Redis 7.0's deprecated config lines, skipped with this many words (loadServerConfigFromString). */
const DEPRECATED_LINES: Record<string, number> = { 'list-max-ziplist-entries': 2, 'list-max-ziplist-value': 2, 'lua-replicate-commands': 2 };

/** One config line from the command line (optionLines): its words, or null (unbalanced quotes), and its text. */
export interface OptionLine {
  args: string[] | null;
  text: string;
}

/** A config line's words as sdssplitargs reads them (quotes, escapes), latin1; null for unbalanced quotes. */
function splitWords(text: string): string[] | null {
  const b = Buffer.from(text, 'latin1');
  const words = splitArgs(b, 0, b.length);
  return words && words.map((w) => w.latin1Slice());
}

/**
 * Parse redis.conf text into settings (last occurrence wins); rename-command lines go to `renames`,
 * `user` lines (ACL users) to `users`;
 * `include` lines are read in place (config/include.ts). `ctx.dir` is the directory a relative
 * include resolves against: Redis chdirs when it reads a `dir` line, so one seen earlier counts.
 * `options` are the command line's lines (optionLines), read after the text as Redis appends them
 * to it after a newline (their line numbers follow the text's).
 */
export function parseConfigFile(text: string, file: string, renames: Renames = [], users: string[] = [], ctx: IncludeContext = { dir: '', depth: 0 }, options: OptionLine[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const names = commandNames();
  for (const [a, b] of renames) checkRename(names, a, b);
  /** loadServerConfigFromString for one line (its words, its text and number for errors). */
  const apply = (args: string[] | null, line: string, lineNo: number, fromOptions: boolean): void => {
    const bad = (why: string) =>
      new CliError(`\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\nReading the configuration file, at line ${lineNo}\n>>> '${line}'\n${why}` + (file ? `\n(file: ${file})` : ''));
    if (args === null) throw bad('Unbalanced quotes in configuration line');
    if (args.length === 0) return;
    const name = args[0].toLowerCase();
    const def = findConfig(name);
    if (def) {
      // A multi-argument setting (save, bind...) takes any number of words: one word is split
      // at its spaces, so its words are joined here; any other takes exactly one.
      if (!takesSeveralArgs(def) && args.length !== 2) throw bad('wrong number of arguments');
      if (args.length === 1 && def.name === 'save') {
        // A `save` line without arguments (Redis's tests write one for `save {}`): like the first
        // save line it replaces the default, with nothing; after one it adds nothing.
        if (out.save === undefined) out.save = '';
        return;
      }
      // (one non-empty word is split again as a line is, sdssplitargs: `save "3600  1"` is
      // 3600 and 1; CONFIG SET splits its value at single spaces instead)
      const words = takesSeveralArgs(def) && args.length === 2 && args[1] !== '' ? splitWords(args[1]) : null;
      let value = words !== null ? words.join(' ') : args.slice(1).join(' ');
      // client-output-buffer-limit lines add up, one class each (the last line of a class wins).
      if (def.name === 'client-output-buffer-limit' && out[def.name] !== undefined) value = `${out[def.name]} ${value}`;
      try {
        parseConfigValue(def, value);
      } catch (e) {
        throw bad((e as Error).message);
      }
      // save lines add up (the first one replaces the default; `save ""` clears them).
      if (def.name === 'save' && value !== '' && out.save) out.save += ' ' + value;
      else out[def.name] = value;
      if (def.name === 'dir') ctx.dir = path.resolve(ctx.dir, value);
      return;
    }
    if (DEPRECATED_LINES[name] === args.length) return;
    if (name === 'user' && args.length >= 2) {
      // ACL users (applied by Acl.loadAtStartup once the server exists).
      users.push(args.slice(1).join(' '));
    } else if (name === 'rename-command' && args.length === 3) {
      const [from, to] = [args[1], args[2]];
      try {
        checkRename(names, from, to);
      } catch (e) {
        throw bad((e as Error).message);
      }
      renames.push([from, to]);
    } else if (name === 'include' && args.length === 2) {
      try {
        for (const f of includedFiles(args[1], ctx)) {
          mergeIncluded(out, parseConfigFile(readConfigText(f), f, renames, users, { dir: ctx.dir, depth: ctx.depth + 1 }));
        }
      } catch (e) {
        throw e instanceof IncludeError ? new CliError(e.message) : e;
      }
    } else if (fromOptions && !['user', 'rename-command', 'include'].includes(name)) {
      // Redis's error, then what the command line takes (Redust's addition).
      const supported = CONFIG_DEFS.filter((d) => !OFF_ONLY_SETTINGS.includes(d.name)).map((d) => d.name);
      throw bad(
        'Bad directive or wrong number of arguments\n' +
          `Unknown option '--${name}'. Run 'redust --help' for the list of common options. Supported settings: ${supported.join(', ')}. ` +
          `Accepted only at their default (off) value, the feature is not supported yet: ${OFF_ONLY_SETTINGS.join(', ')}`,
      );
    } else throw bad('Bad directive or wrong number of arguments');
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    apply(splitWords(line), line, i + 1, false);
  }
  options.forEach((o, k) => apply(o.args, o.text, lines.length + 1 + k, true));
  return out;
}

/**
 * main()'s command-line options (server.c), as the config lines Redis makes of them: each
 * argument starting with `--` begins a line with the rest of it (`--port 6380` or `"--port 6380"`);
 * the arguments after it are its words, quoted (sdscatrepr) so each stays one word, and an
 * argument starting with `--` is a word too when the line so far is only a name without
 * value (`--port --bla`). A `--save` followed by an option or at the end gets the value "".
 * A line's words are its name's words (sdssplitargs) and then the arguments as given.
 */
export function optionLines(argv: string[]): OptionLine[] {
  const out: { name: string | null; values: string[] }[] = [];
  let handledLast = true;
  for (let j = 0; j < argv.length; j++) {
    const a = argv[j];
    if (handledLast && a.startsWith('--')) {
      const line = { name: a.slice(2), values: [] as string[] };
      out.push(line);
      const words = splitWords(a);
      handledLast = words === null || words.length !== 1;
      if (!handledLast) {
        const nextIsOption = j !== argv.length - 1 && argv[j + 1].startsWith('--');
        const lower = a.toLowerCase();
        if (lower === '--save' && (nextIsOption || j === argv.length - 1)) {
          line.values.push('');
          handledLast = nextIsOption;
        } else if (lower === '--sentinel' && nextIsOption) handledLast = true;
      }
    } else {
      // (words before any `--name` start the first line themselves)
      if (out.length === 0) out.push({ name: null, values: [] });
      out[out.length - 1].values.push(a);
      handledLast = true;
    }
  }
  return out.map(({ name, values }) => {
    const quoted = values.map(repr);
    const text = (name === null ? quoted : [name, ...quoted]).join(' ').trim();
    if (name === null) return { args: values, text };
    const words = splitWords(name);
    return { args: words && [...words, ...values], text };
  });
}

export interface ParsedArgs {
  settings: Record<string, string>;
  renames: Renames;
  /** `user` lines of the config file (without the keyword). */
  users?: string[];
  configFile: string;
  action: 'run' | 'help' | 'version';
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  if (argv.includes('-h') || argv.includes('--help')) return { settings: {}, renames: [], configFile: '', action: 'help' };
  if (argv.includes('-v') || argv.includes('--version')) return { settings: {}, renames: [], configFile: '', action: 'version' };
  const settings: Record<string, string> = { ...envSettings(env) };
  const renames: Renames = [];
  const users: string[] = [];
  let configFile = '';
  let text = '';
  // As redis-server: a first argument not starting with '-' is the config file, and the options
  // are more lines after its text (so the first `save` of all replaces the default and later ones
  // add up, `save ""` clearing them, file and options alike).
  if (argv.length > 0 && !argv[0].startsWith('-')) {
    configFile = argv[0];
    try {
      text = readConfigText(configFile);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  }
  Object.assign(settings, parseConfigFile(text, configFile, renames, users, undefined, optionLines(argv.slice(configFile ? 1 : 0))));
  return { settings, renames, users, configFile, action: 'run' };
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`redust: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (parsed.action === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (parsed.action === 'version') {
    process.stdout.write(`Redust server v=${REDUST_VERSION} redis_version=${REDIS_VERSION} node=${process.versions.node}\n`);
    return 0;
  }
  let config: Config;
  try {
    config = new Config(parsed.settings);
  } catch (e) {
    process.stderr.write(`redust: ${(e as Error).message}\n`);
    return 1;
  }
  if (config.bool('daemonize')) {
    if (process.env[DAEMON_CHILD] !== '1') return daemonize(argv);
    // createPidFile: a daemonized server without a pidfile writes Redis's default one.
    if (!config.str('pidfile')) config.set('pidfile', DEFAULT_PID_FILE);
  }
  let logger: ReturnType<typeof createLogger>;
  try {
    logger = createLogger({ level: config.str('loglevel') as RedisLogLevel, file: config.str('logfile') });
  } catch (e) {
    process.stderr.write(`redust: Can't open the log file: ${strerror(e)}\n`);
    return 1;
  }
  const engine = createEngine(config.str('engine') as EngineName);
  const server = new Server(config, engine, { logger });
  server.configFile = parsed.configFile;
  const heapTrim = new HeapTrim(undefined, undefined, config.str('engine') === 'wasm');
  server.heapTrim = heapTrim;
  for (const [from, to] of parsed.renames) server.table.rename(from, to);
  try {
    server.acl.loadAtStartup(parsed.users ?? []);
  } catch (e) {
    logger.fatal((e as Error).message);
    return 1;
  }
  logger.info({ version: REDUST_VERSION, redis_version: REDIS_VERSION }, 'Redust is starting');
  logger.info(parsed.configFile ? `Configuration loaded from ${parsed.configFile}` : 'No config file specified, using the default config and command-line options');
  // Redis's "debug" level: every setting as CONFIG GET shows it.
  if (logger.isLevelEnabled('trace')) logger.trace({ config: Object.fromEntries(CONFIG_DEFS.map((d) => [d.name, d.name === 'requirepass' && config.str(d.name) ? '(set)' : config.text(d.name)])) }, 'Configuration');
  persistenceOf(server).enabled = true;
  let port: number;
  try {
    port = await server.listen({}, false);
  } catch (e) {
    logger.fatal({ err: e }, `Failed listening on port ${config.int('port')} (TCP), aborting.`);
    return 1;
  }
  logStartBanner(server);
  const addrs = server.listeners.addresses('tcp');
  if (addrs.length) logger.info({ addresses: addrs }, `Listening on ${addrs.join(', ')}`);
  const tlsAddrs = server.listeners.addresses('tls');
  if (tlsAddrs.length) logger.info({ addresses: tlsAddrs }, `Listening for TLS on ${tlsAddrs.join(', ')}`);
  if (config.str('unixsocket')) logger.info(`Listening on unix socket ${config.str('unixsocket')}`);
  logger.info(describePersistence(config));
  setProcTitle(server);
  checkTransparentHugePages(server);
  // An uncaught exception is Redust's panic. crash-log-enabled: it is written to the log too.
  // use-exit-on-panic (Redis's bugReportEnd): `yes` lets Node.js print it on stderr and exit with
  // code 1; `no`, the default, prints it and aborts (SIGABRT), as Redis's panic does.
  process.on('uncaughtExceptionMonitor', (err) => {
    if (config.bool('crash-log-enabled') && !(err instanceof PanicError)) logger.fatal({ err }, 'Redust crashed by an uncaught exception: this is a bug, please report it with this log');
    if (!config.bool('use-exit-on-panic')) {
      process.removeAllListeners('SIGABRT');
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.abort();
    }
  });
  // sigShutdownHandler: the signal only schedules the shutdown (Server.shutdownAsap), which the
  // cron runs (or the end of a busy script); a SIGINT while one is pending (or under way) exits
  // at once, with an error code. Installed before the load: a signal while the RDB loads in slices
  // shuts down from the cron too, without saving (saveForShutdown), as Redis's loading cron.
  let exit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  let lastSignal = 'SIGTERM';
  const shutdownNow = () => {
    // shutdown-on-sigint / shutdown-on-sigterm: the SHUTDOWN flags a signal stands for.
    const flags = shutdownFlagsOf(config.str(lastSignal === 'SIGINT' ? 'shutdown-on-sigint' : 'shutdown-on-sigterm'));
    if (!saveForShutdown(server, flags)) return;
    void server.close().then(() => {
      logger.warn('Redust is now ready to exit, bye bye...');
      exit(0);
    });
  };
  const stop = (signal: string) => {
    if ((server.shutdownAsap !== null || server.closing) && signal === 'SIGINT') {
      logger.warn('You insist... exiting now.');
      process.exit(1);
    }
    logger.warn(loadingOf(server) !== null ? 'Received shutdown signal during loading, scheduling shutdown.' : `Received ${signal} scheduling shutdown...`);
    lastSignal = signal;
    if (!server.closing) server.shutdownAsap = shutdownNow;
  };
  // SIGABRT from outside (Redis's sigsegvHandler also handles it): the crash report, then the abort.
  process.on('SIGABRT', () => crashedBySignal(server, 'SIGABRT'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  server.onShutdown = () => {
    logger.warn('Redust is now ready to exit, bye bye...');
    exit(0);
  };
  // Listen first, then load: other clients get -LOADING meanwhile (the RDB loads in slices).
  // The start-up hold helps a wasm engine's RDB load only (heap-trim.ts): js-map's loaded objects
  // are its data, and an AOF's replayed commands make garbage that a small young generation
  // collects too often.
  if (engine.name !== 'wasm' || config.bool('appendonly')) heapTrim.releaseStartupHold();
  try {
    if (config.bool('appendonly')) server.aof.startup();
    else await loadRdbFileInSlices(server);
  } catch (e) {
    // A shutdown (SHUTDOWN, a signal) stopped the load: not a load error.
    if (server.closing) return await exited;
    // A panic stopped it (propagation-error-behavior panic): the process ends on the next tick.
    if (e instanceof PanicError) return await exited;
    // (a manifest error comes after Redis's banner and the line at fault, its text last)
    if (e instanceof AofManifestError) for (const line of e.lines) logger.fatal(line);
    logger.fatal(describeLoadError(e));
    if (!config.bool('appendonly')) for (const line of checkRdbFileReport(server, e)) logger.fatal(line);
    // rdbReportError's last line; an AOF that fails to load exits after its own error line
    // (loadDataFromDisk), which Redis's tests read as the log's last line.
    if (!config.bool('appendonly')) logger.fatal('Terminating server after rdb file reading failure.');
    await server.close();
    return 1;
  }
  heapTrim.startServing();
  await scriptingOf(server).prepare();
  logger.info({ port, engine: engine.name }, 'Ready to accept connections tcp');
  // The process runs until shutdown even with no listener and no client (CONFIG SET bind "", as
  // Redis stays up): the cron's timer is unref'd (embedded servers must not hold their process).
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    return await exited;
  } finally {
    clearInterval(keepAlive);
  }
}

/** Set in the environment of the process daemonize() starts: it is the daemon. */
const DAEMON_CHILD = 'REDUST_DAEMONIZED';
/** CONFIG_DEFAULT_PID_FILE: what a daemonized Redis writes when no pidfile is set. */
const DEFAULT_PID_FILE = '/var/run/redis.pid';

/**
 * `daemonize yes` (Redis's daemonize()): Node.js cannot fork, so the same command line runs again
 * in a new session (setsid: detached), its standard input and output on /dev/null (a log to
 * stdout is lost, as in Redis), and this process exits 0 at once. The daemon reports its own
 * errors (a port in use, a file that fails to load) in its log, as Redis's child does.
 */
function daemonize(argv: string[]): number {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [DAEMON_CHILD]: '1' },
  });
  child.unref();
  return 0;
}

/** The start-up line that says whether data survives a restart, from the settings in force. */
export function describePersistence(config: Config): string {
  const file = `${config.str('dir')}/${config.str('dbfilename')}`;
  const points = config.str('save').trim();
  if (config.bool('appendonly')) {
    return `Persistence: AOF in ${config.str('dir')}/${config.str('appenddirname')} (appendfsync ${config.str('appendfsync')})` + (points ? `, and RDB file ${file} by the save points "${points}"` : '');
  }
  if (points === '') return `Persistence: no save points and no AOF: data written after the last SAVE is lost when the server stops (RDB file ${file})`;
  return `Persistence: RDB file ${file}, saved on shutdown and by the save points "${points}"`;
}
