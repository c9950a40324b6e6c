/**
 * `include` in config files, as Redis 7.0's loadServerConfig: the path is opened as written,
 * relative to the working directory (which a `dir` line read before it has changed, in Redis),
 * and a pattern with * ? or [ in its last component includes every matching file in name order
 * (glob(3); no match includes nothing). Included files may include others (nesting is limited
 * to 32 levels, where Redis would recurse until it fails).
 */
import fs from 'fs';
import path from 'path';
import { globMatch } from '../util/glob';
import { strerror } from '../util/errno';

export interface IncludeContext {
  /** Directory relative includes resolve against ('' = the process's working directory). */
  dir: string;
  depth: number;
}

export class IncludeError extends Error {}

/** Read a config file, or fail with Redis's fatal message. */
export function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new IncludeError(`Fatal error, can't open config file '${file}': ${strerror(e)}`);
  }
}

/** The files an `include <pattern>` line names, in order. */
export function includedFiles(pattern: string, ctx: IncludeContext): string[] {
  if (ctx.depth >= 32) throw new IncludeError(`Fatal error, can't open config file '${pattern}': too many levels of include`);
  const base = ctx.dir || process.cwd();
  const full = path.isAbsolute(pattern) ? pattern : path.join(base, pattern);
  const shown = path.isAbsolute(pattern) || !ctx.dir ? pattern : full;
  const name = path.basename(full);
  if (!/[*?[]/.test(name)) return [shown];
  const dir = path.dirname(full);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const shownDir = path.dirname(shown);
  return entries
    .filter((e) => globMatch(name, e, false))
    .sort()
    .map((e) => path.join(shownDir, e));
}

/** Settings of an included file over those read so far (save points add up, as lines do). */
export function mergeIncluded(out: Record<string, string>, inc: Record<string, string>): void {
  for (const [k, v] of Object.entries(inc)) {
    if (k === 'save' && v !== '' && out.save) out.save += ' ' + v;
    else out[k] = v;
  }
}
