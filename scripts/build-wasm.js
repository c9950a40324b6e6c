#!/usr/bin/env node
'use strict';
/**
 * Compile assembly/index.ts to build/redust.wasm with AssemblyScript (asconfig.json, target
 * "release" by default; pass --target debug for the debug build). Works from a fresh clone after
 * `npm ci` (the package's `prepare` script runs it), from any working directory.
 */
const path = require('path');
const fs = require('fs');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const target = args.includes('--target') ? args[args.indexOf('--target') + 1] : 'release';

let ascBin;
try {
  ascBin = require.resolve('assemblyscript/bin/asc.js', { paths: [root] });
} catch {
  ascBin = path.join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
}
if (!fs.existsSync(ascBin)) {
  console.error('build-wasm: assemblyscript is not installed (run `npm ci` first)');
  process.exit(1);
}
fs.mkdirSync(path.join(root, 'build'), { recursive: true });
const res = spawnSync(process.execPath, [ascBin, 'assembly/index.ts', '--config', 'asconfig.json', '--target', target], {
  cwd: root,
  stdio: 'inherit',
});
if (res.status !== 0) {
  console.error(`build-wasm: asc failed (exit ${res.status})`);
  process.exit(res.status || 1);
}
const out = target === 'debug' ? 'build/redust.debug.wasm' : 'build/redust.wasm';
const size = fs.statSync(path.join(root, out)).size;
console.log(`build-wasm: ${out} (${size} bytes)`);
