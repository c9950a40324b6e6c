/**
 * Settings whose behaviour Redust does not have yet. Each is accepted at its default or "off" value
 * (so real redis.conf files still load) and refused — in the config file, on the command line, in
 * RedustServer.start's `config` and by CONFIG SET — at any value that asks for the missing
 * behaviour, with a message that says so. Nothing is accepted and then silently ignored.
 *
 * Every other setting in config.ts is honoured. Some are accepted because at any value they change
 * nothing a client can observe in Redust: the replica class of client-output-buffer-limit (no
 * replicas), and the lazyfree-lazy-* switches (values are freed on the main thread either way; replies are the same).
 */
import fs from 'fs';
import { INACTIVE_RULES, type OffRule } from './inactive';

const isZero = (v: string) => /^0+$/.test(v.trim());

const RULES: Record<string, OffRule> = INACTIVE_RULES;

/** Settings Redust accepts only at their default/off value (listed apart from the supported ones). */
export const OFF_ONLY_SETTINGS: readonly string[] = Object.keys(INACTIVE_RULES);

/**
 * Settings one engine lacks: list compression (list-compress-depth) is the wasm engine's, whose
 * lists are linked nodes that can be LZF-compressed (assembly/list.ts); the js-map engine keeps a
 * list as a ring buffer of strings. Throws Error(reason) for a value `engine` cannot honour.
 */
export function checkEngineSupported(engine: string, name: string, text: string): void {
  if (name === 'list-compress-depth' && engine === 'js-map' && !isZero(text)) {
    throw new Error(`list-compress-depth '${text}' is not supported by the js-map engine: list compression is implemented by the wasm engine (--engine wasm; accepted with js-map: 0)`);
  }
}

/**
 * Throws Error(reason) when `name` (canonical) set to `text` asks for a behaviour Redust lacks, or
 * for `dir`, when the directory does not exist (Redis fails to chdir there and exits).
 */
export function checkSupported(name: string, text: string): void {
  if (name === 'dir') {
    let st: fs.Stats;
    try {
      st = fs.statSync(text);
    } catch {
      throw new Error('No such file or directory');
    }
    if (!st.isDirectory()) throw new Error('Not a directory');
    return;
  }
  const rule = RULES[name];
  if (rule && !rule.ok(text)) throw new Error(`${name} '${text}' is not supported by Redust yet: ${rule.why} is not implemented (accepted: ${rule.accepted})`);
}

/** Redis 7.0's PROTECTED_CONFIG settings: CONFIG SET only under enable-protected-configs. */
const PROTECTED_CONFIGS = new Set(['dir', 'dbfilename']);

/**
 * Redis's DENY_LOADING_CONFIG settings: CONFIG SET of one while loading answers the loading error,
 * unless its protected-config check fails first.
 */
export function deniedWhileLoading(name: string, protectedAllowed: boolean): boolean {
  return (name === 'appendonly' || name === 'dir' || name === 'repl-diskless-load') && (protectedAllowed || !PROTECTED_CONFIGS.has(name));
}

/**
 * CONFIG SET checks beyond the value itself: `dir` and `dbfilename` are protected configs in
 * Redis 7.0 (settable only with enable-protected-configs yes, or local from a local client:
 * `protectedAllowed`).
 */
export function checkRuntimeSet(name: string, protectedAllowed = false): void {
  if (PROTECTED_CONFIGS.has(name) && !protectedAllowed) throw new Error("can't set protected config");
}
