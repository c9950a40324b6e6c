#!/usr/bin/env node
/**
 * Snapshots Redis 7.0's command metadata (COMMAND and COMMAND DOCS, RESP3) from a running
 * redis-server into src/commands/redis-7.0-commands.json. The command table reads arity, flags,
 * key positions, ACL categories, tips, key specs and docs from this one file, so COMMAND INFO/DOCS
 * replies are Redis's own. Usage: node scripts/gen-command-meta.js [port]  (needs `npm run build:ts`).
 * The file holds one command per line (per section: info, docs, help), so a regeneration shows as a
 * reviewable diff. `node scripts/gen-command-meta.js --reformat` rewrites the existing file in this
 * layout without contacting a server.
 */
const net = require('net');
const fs = require('fs');
const path = require('path');
const { RespReader } = require('../dist/src/protocol/resp-reader.js');

function compact(n) {
  switch (n.t) {
    case 'bulk': return n.v.toString('latin1');
    case 'simple': return { '+': n.v };
    case 'int': return Number(n.v);
    case 'array': return n.v.map(compact);
    case 'set': return { '~': n.v.map(compact) };
    case 'map': return { '%': n.v.map(compact) };
    case 'null': case 'nullbulk': case 'nullarray': return null;
    case 'double': return { ',': n.v };
    case 'bool': return { '#': n.v };
    default: throw new Error('unexpected node ' + n.t);
  }
}

/** JSON with one top-level entry per line inside each section: `{"source":…,\n"info":{\n"get":[…],\n…}}`. */
function format(out) {
  const section = (obj) => '{\n' + Object.entries(obj).map(([k, v]) => JSON.stringify(k) + ':' + JSON.stringify(v)).join(',\n') + '\n}';
  const parts = Object.entries(out).map(([k, v]) => JSON.stringify(k) + ':' + (v && typeof v === 'object' && !Array.isArray(v) ? section(v) : JSON.stringify(v)));
  return '{' + parts.join(',\n') + '}\n';
}

const FILE = path.join(__dirname, '..', 'src', 'commands', 'redis-7.0-commands.json');

async function main() {
  if (process.argv[2] === '--reformat') {
    const before = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const text = format(before);
    // The layout changes, never the content.
    if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(before)) throw new Error('reformatting changed the content');
    fs.writeFileSync(FILE, text);
    console.log(`reformatted ${FILE}`);
    return;
  }
  const port = Number(process.argv[2] || 6379);
  const sock = net.connect(port, '127.0.0.1');
  const reader = new RespReader();
  const replies = [];
  let want = 3;
  const helpFor = [];
  const done = new Promise((resolve) => {
    sock.on('data', (d) => { replies.push(...reader.feed(d)); if (replies.length >= want) resolve(); });
  });
  sock.write('HELLO 3\r\nCOMMAND\r\nCOMMAND DOCS\r\n');
  await done;
  sock.end();
  const info = {};
  for (const c of replies[1].v) info[c.v[0].v.toString('latin1')] = compact(c);
  const docs = {};
  const m = replies[2].v;
  for (let i = 0; i < m.length; i += 2) docs[m[i].v.toString('latin1')] = compact(m[i + 1]);
  // Every container command's HELP text, so "X HELP" replies are Redis's own lines.
  const help = {};
  for (const [name, c] of Object.entries(info)) {
    const subs = Array.isArray(c[9]) ? c[9] : (c[9] && c[9]['~']) || [];
    if (subs.some((s) => s[0] === name + '|help')) helpFor.push(name);
  }
  const s2 = net.connect(port, '127.0.0.1');
  const r2 = new RespReader();
  const got = [];
  await new Promise((resolve) => {
    s2.on('data', (d) => { got.push(...r2.feed(d)); if (got.length >= helpFor.length) resolve(); });
    s2.write(helpFor.map((n) => `${n} HELP\r\n`).join(''));
  });
  s2.end();
  helpFor.forEach((n, i) => { if (got[i].t === 'array') help[n] = got[i].v.map((x) => x.v); else console.error('no help for', n, got[i]); });
  const out = { source: 'redis-server ' + (/redis_version:(\S+)/.exec('') || ['', '7.0'])[1], info, docs, help };
  fs.writeFileSync(FILE, format(out));
  console.log(`wrote ${Object.keys(info).length} commands to ${FILE}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
