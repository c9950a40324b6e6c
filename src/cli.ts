/**
 * Command line: `redust [config-file] [--option value ...]`, like redis-server. Settings are
 * merged in this order (later wins): defaults, REDUST_* environment variables, the config file,
 * command-line options.
 */
import fs from 'fs';
import { Config, CONFIG_DEFS, findConfig, parseConfigValue, parseMemory, takesSeveralArgs } from './config/config';
import { OFF_ONLY_SETTINGS } from './config/unsupported';
import { createEngine } from './engine';
import type { EngineName } from './engine/types';
import { Server, REDIS_VERSION, REDUST_VERSION } from './server/server';
import { describeLoadError, persistenceOf } from './persistence/rdb';
import { loadRdbFileInSlices } from './persistence/loading';
import { createLogger, RedisLogLevel } from './observability/logger';
import { saveForShutdown, shutdownFlagsOf } from './persistence/shutdown';
import { checkTransparentHugePages, logStartBanner, setProcTitle } from './server/process-settings';
import { splitArgs } from './protocol/parser';
import { ALL_COMMANDS } from './commands';
import path from 'path';
import { IncludeContext, IncludeError, includedFiles, mergeIncluded, readConfigText } from './config/include';
import { HeapTrim } from './server/heap-trim';
import { scriptingOf } from './scripting/engine';
import { strerror } from './util/errno';
import { AofManifestError } from './persistence/aof';

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
REDUST_RDB_PATH, REDUST_METRICS_ADDR.`;

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

/**
 * Parse redis.conf text into settings (last occurrence wins); rename-command lines go to `renames`,
 * `user` lines (ACL users) to `users`;
 * `include` lines are read in place (config/include.ts). `ctx.dir` is the directory a relative
 * include resolves against: Redis chdirs when it reads a `dir` line, so one seen earlier counts.
 */
export function parseConfigFile(text: string, file: string, renames: Renames = [], users: string[] = [], ctx: IncludeContext = { dir: '', depth: 0 }): Record<string, string> {
  const out: Record<string, string> = {};
  const names = commandNames();
  for (const [a, b] of renames) checkRename(names, a, b);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const args = splitArgs(Buffer.from(line, 'latin1'), 0, Buffer.byteLength(line, 'latin1'));
    const bad = (why: string) =>
      new CliError(`\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\nReading the configuration file, at line ${i + 1}\n>>> '${line}'\n${why}\n(file: ${file})`);
    if (!args || args.length === 0) throw bad('Bad directive or wrong number of arguments');
    const name = args[0].latin1Slice().toLowerCase();
    if (args.length === 1 && name === 'save') {
      // A `save` line without arguments (Redis's tests write one for `save {}`): like the first
      // save line it replaces the default, with nothing; after one it adds nothing.
      if (out.save === undefined) out.save = '';
      continue;
    }
    if (args.length < 2) throw bad('Bad directive or wrong number of arguments');
    if (name === 'user') {
      // ACL users (applied by Acl.loadAtStartup once the server exists).
      users.push(args.slice(1).map((a) => a.latin1Slice()).join(' '));
      continue;
    }
    if (name === 'rename-command') {
      if (args.length !== 3) throw bad('Bad directive or wrong number of arguments');
      const [from, to] = [args[1].latin1Slice(), args[2].latin1Slice()];
      try {
        checkRename(names, from, to);
      } catch (e) {
        throw bad((e as Error).message);
      }
      renames.push([from, to]);
      continue;
    }
    if (name === 'include') {
      if (args.length !== 2) throw bad('Bad directive or wrong number of arguments');
      try {
        for (const f of includedFiles(args[1].latin1Slice(), ctx)) {
          mergeIncluded(out, parseConfigFile(readConfigText(f), f, renames, users, { dir: ctx.dir, depth: ctx.depth + 1 }));
        }
      } catch (e) {
        throw e instanceof IncludeError ? new CliError(e.message) : e;
      }
      continue;
    }
    const def = findConfig(name);
    if (!def) throw bad('Bad directive or wrong number of arguments');
    if (args.length > 2 && !takesSeveralArgs(def)) throw bad('wrong number of arguments');
    let value = args.slice(1).map((a) => a.latin1Slice()).join(' ');
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
  }
  return out;
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
  let i = 0;
  let configFile = '';
  // Redis reads the options as more lines after the config file's: the first `save` of all
  // replaces the default and later ones add up (`save ""` clears them), file and options alike.
  let saveSeen = false;
  if (argv.length > 0 && !argv[0].startsWith('--')) {
    configFile = argv[0];
    let text: string;
    try {
      text = readConfigText(configFile);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const fromFile = parseConfigFile(text, configFile, renames, users);
    Object.assign(settings, fromFile);
    saveSeen = fromFile.save !== undefined;
    i = 1;
  }
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new CliError(`Invalid argument '${a}': options are written as --name value (see --help)`);
    const name = a.slice(2).toLowerCase();
    if (name === 'user') {
      // `--user alice on >pw ~* +@all`: a config-file `user` line, as redis-server takes it.
      const values: string[] = [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) values.push(argv[++i]);
      if (values.length === 0) throw new CliError("Option '--user' needs a user definition");
      users.push(values.join(' '));
      continue;
    }
    if (name === 'rename-command') {
      // `--rename-command FROM TO` (TO may be '' to remove it), as redis-server takes it.
      const from = argv[i + 1];
      const to = argv[i + 2];
      if (from === undefined || to === undefined || from.startsWith('--')) throw new CliError("Option '--rename-command' needs two values: the command and its new name ('' removes it)");
      const names = commandNames();
      try {
        for (const [x, y] of [...renames, [from, to] as [string, string]]) checkRename(names, x, y);
      } catch (e) {
        throw new CliError(`Invalid value '${from} ${to}' for '--rename-command': ${(e as Error).message}`);
      }
      renames.push([from, to]);
      i += 2;
      continue;
    }
    const def = findConfig(name);
    if (!def) {
      const supported = CONFIG_DEFS.filter((d) => !OFF_ONLY_SETTINGS.includes(d.name)).map((d) => d.name);
      throw new CliError(
        `Unknown option '--${name}'. Run 'redust --help' for the list of common options. Supported settings: ${supported.join(', ')}. ` +
          `Accepted only at their default (off) value, the feature is not supported yet: ${OFF_ONLY_SETTINGS.join(', ')}`,
      );
    }
    const values: string[] = [];
    while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) values.push(argv[++i]);
    if (values.length === 0 && def.type !== 'string' && def.type !== 'special') throw new CliError(`Option '--${name}' needs a value`);
    if (values.length > 1 && !takesSeveralArgs(def)) throw new CliError(`Invalid value '${values.join(' ')}' for '--${name}': wrong number of arguments`);
    const value = values.join(' ');
    try {
      parseConfigValue(def, value);
    } catch (e) {
      throw new CliError(`Invalid value '${value}' for '--${name}': ${(e as Error).message}`);
    }
    if (def.name === 'save' && saveSeen && value !== '' && settings.save) settings.save += ' ' + value;
    else settings[def.name] = value;
    if (def.name === 'save') saveSeen = true;
  }
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
  server.heapTrim = new HeapTrim(undefined, undefined, config.str('engine') === 'wasm');
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
  // crash-log-enabled: the uncaught exception that ends the process is written to the log too
  // (Node.js still prints it on stderr and exits with code 1, as it always does).
  process.on('uncaughtExceptionMonitor', (err) => {
    if (config.bool('crash-log-enabled')) logger.fatal({ err }, 'Redust crashed by an uncaught exception: this is a bug, please report it with this log');
  });
  // Listen first, then load: other clients get -LOADING meanwhile (the RDB loads in slices).
  try {
    if (config.bool('appendonly')) server.aof.startup();
    else await loadRdbFileInSlices(server);
  } catch (e) {
    // (a manifest error comes after Redis's banner and the line at fault, its text last)
    if (e instanceof AofManifestError) for (const line of e.lines) logger.fatal(line);
    logger.fatal(describeLoadError(e));
    // rdbReportError's last line; an AOF that fails to load exits after its own error line
    // (loadDataFromDisk), which Redis's tests read as the log's last line.
    if (!config.bool('appendonly')) logger.fatal('Terminating server after rdb file reading failure.');
    await server.close();
    return 1;
  }
  await scriptingOf(server).prepare();
  logger.info({ port, engine: engine.name }, 'Ready to accept connections tcp');
  // The process runs until shutdown even with no listener and no client (CONFIG SET bind "", as
  // Redis stays up): the cron's timer is unref'd (embedded servers must not hold their process).
  const keepAlive = setInterval(() => {}, 1 << 30);
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      // sigShutdownHandler: a SIGINT while a shutdown is pending exits at once, with an error code.
      if (stopping && signal === 'SIGINT') {
        logger.warn('You insist... exiting now.');
        process.exit(1);
      }
      if (stopping) {
        logger.warn(`Received ${signal} scheduling shutdown...`);
        return;
      }
      stopping = true;
      lastSignal = signal;
      logger.warn(`Received ${signal} scheduling shutdown...`);
      // During a busy script the shutdown waits for its end (Redis: serverCron's shutdown_asap).
      if (server.busyScript !== null) server.signalShutdown = shutdownNow;
      else shutdownNow();
    };
    let lastSignal = 'SIGTERM';
    const shutdownNow = () => {
      // shutdown-on-sigint / shutdown-on-sigterm: the SHUTDOWN flags a signal stands for.
      const flags = shutdownFlagsOf(config.str(lastSignal === 'SIGINT' ? 'shutdown-on-sigint' : 'shutdown-on-sigterm'));
      if (!saveForShutdown(server, flags)) {
        logger.warn('Errors trying to shut down the server. Check the logs for more information.');
        stopping = false;
        return;
      }
      void server.close().then(() => {
        logger.warn('Redust is now ready to exit, bye bye...');
        clearInterval(keepAlive);
        resolve(0);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    server.onShutdown = () => {
      logger.warn('Redust is now ready to exit, bye bye...');
      clearInterval(keepAlive);
      resolve(0);
    };
  });
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
