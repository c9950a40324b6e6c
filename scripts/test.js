#!/usr/bin/env node
/**
 * Runs the uvu suites in dist/test (compiled by `npm run build`). Each test file loops over the
 * engines under test itself; this wrapper adds a watchdog, sums the results and prints the final
 * "N passed, N failed" line CI reads. Usage: node scripts/test.js [file-pattern]
 */
const { spawn } = require('child_process');
const path = require('path');

const pattern = (process.argv[2] ? process.argv[2] + '[^/]*' : '') + '\\.test\\.js$';
// A hang guard, not the time budget: a clean run takes ~14-20 minutes on the 2-core hosts
// (20.2 on the slower AMD one, 2026-12-08, with Redis's units split between the engines).
const LIMIT_MS = Number(process.env.REDUST_TEST_TIMEOUT_MS || 24 * 60 * 1000);
const uvu = path.join(__dirname, '..', 'node_modules', 'uvu', 'bin.js');
// Colour only on a terminal: uvu forces colour on unless told --no-color, and `npm test > file`
// must not write escape codes into the file.
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const child = spawn(process.execPath, [uvu, 'dist/test', pattern, '-i', 'helpers', ...(color ? [] : ['--no-color'])], {
  cwd: path.join(__dirname, '..'),
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: color ? '1' : '0' },
});
let out = '';
let summaryTimer = null;
child.stdout.on('data', (d) => {
  out += d;
  process.stdout.write(d);
  // uvu prints its summary when every suite has run; a leaked handle (e.g. a client left
  // reconnecting by a failed test) must not keep the run alive past that.
  if (!summaryTimer && /Duration:/.test(out)) {
    summaryTimer = setTimeout(() => {
      console.error('\ntest process still alive 5 s after its summary (leaked handles): stopping it');
      child.kill('SIGKILL');
    }, 5000);
  }
});
const watchdog = setTimeout(() => {
  console.error(`\ntest run exceeded ${LIMIT_MS} ms: killing it`);
  child.kill('SIGKILL');
}, LIMIT_MS);
child.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  if (summaryTimer) clearTimeout(summaryTimer);
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : 0;
  };
  const total = num(/Total:\s+(\d+)/);
  const passed = num(/Passed:\s+(\d+)/);
  const skipped = num(/Skipped:\s+(\d+)/);
  let failed = Math.max(0, total - passed);
  const summarized = /Duration:/.test(out);
  if ((code !== 0 || (signal && !summarized)) && failed === 0) failed = 1; // crashed or killed: never report green
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 ? 1 : 0);
});
