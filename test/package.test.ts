/**
 * Redust installs like a package: `npm pack` of the built project, installed into a fresh folder,
 * gives a working `npx redust`, an ESM import and a CommonJS require of RedustServer (each starts a
 * server on port 0, PINGs it and closes it), and type declarations for both module systems.
 * Runs after `npm run build` (the tarball holds dist/ and build/redust.wasm as built).
 */
import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

/** The environment without npm's per-run variables (npm test sets them; nested npm must not see them). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

/** A script that starts a server on port 0, PINGs it over TCP and closes it; prints PONG. */
const PING_BODY = `
const srv = await RedustServer.start({ port: 0 });
const reply = await new Promise((resolve, reject) => {
  const s = net.connect(srv.port, '127.0.0.1');
  s.on('error', reject);
  s.on('data', (d) => { resolve(d.toString()); s.end(); });
  s.write('PING\\r\\n');
});
await srv.close();
process.stdout.write(reply.trim() + ' ' + srv.engine + '\\n');
`;

const t = suite('package');

t('npm pack, install the tarball in a fresh folder: npx redust, ESM import, CommonJS require, types', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-pkg-'));
  const env = cleanEnv();
  try {
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, env, maxBuffer: 16 << 20 });
    const info = JSON.parse(packed.stdout)[0] as { filename: string; files: { path: string }[] };
    const files = info.files.map((f) => f.path);
    for (const f of ['build/redust.wasm', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli.js', 'dist/src/commands/redis-7.0-commands.json', 'esm/index.mjs', 'esm/index.d.mts', 'bin/redust.js', 'package.json']) {
      assert.ok(files.includes(f), `tarball lacks ${f}`);
    }
    assert.not.ok(files.some((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('src/') || f.endsWith('.map')), 'tarball holds tests, sources or source maps');

    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'redust-package-test', version: '1.0.0', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, info.filename)], { cwd: app, env, maxBuffer: 16 << 20 });

    const ver = await run('npx', ['--no', '--', 'redust', '--version'], { cwd: app, env });
    assert.match(ver.stdout, /^Redust server v=\d+\.\d+\.\d+ redis_version=7\.0\.\d+/);

    fs.writeFileSync(path.join(app, 'esm.mjs'), `import net from 'net';\nimport { RedustServer } from 'redust';\n${PING_BODY}`);
    fs.writeFileSync(path.join(app, 'cjs.cjs'), `const net = require('net');\nconst { RedustServer } = require('redust');\n(async () => {${PING_BODY}})();`);
    assert.is((await run(process.execPath, ['esm.mjs'], { cwd: app, env })).stdout, '+PONG wasm\n');
    assert.is((await run(process.execPath, ['cjs.cjs'], { cwd: app, env })).stdout, '+PONG wasm\n');
    // Both entry points give the same class.
    const same = await run(process.execPath, ['--input-type=module', '-e', "import { createRequire } from 'module'; import { RedustServer } from 'redust'; const require = createRequire(import.meta.url); console.log(require('redust').RedustServer === RedustServer);"], { cwd: app, env });
    assert.is(same.stdout, 'true\n');

    // Types resolve for both module systems (TypeScript's node16 resolution reads `exports`).
    fs.writeFileSync(path.join(app, 'check.mts'), "import { RedustServer, type RedustOptions } from 'redust';\nconst o: RedustOptions = { port: 0 };\nexport const p: Promise<RedustServer> = RedustServer.start(o);\n");
    fs.writeFileSync(path.join(app, 'check.cts'), "import redust = require('redust');\nexport const p: Promise<redust.RedustServer> = redust.RedustServer.start({ port: 0 });\n");
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['check.mts', 'check.cts'] }),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      await run(process.execPath, [tsc, '-p', app], { cwd: app, env });
    } catch (e) {
      assert.unreachable(`type check of the installed package failed: ${(e as { stdout: string }).stdout}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

t.run();
