/**
 * Test certificates made at test time with the `openssl` command: a CA, a server certificate for
 * localhost/127.0.0.1/::1 signed by it, a client certificate signed by it, a client certificate
 * signed by another CA (rejected), and the server key encrypted with a passphrase
 * (tls-key-file-pass). Returns null when openssl is not installed (tests that need it are skipped).
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export interface TestCerts {
  dir: string;
  caCert: string;
  caDir: string;
  serverCert: string;
  serverKey: string;
  serverKeyEncrypted: string;
  keyPass: string;
  clientCert: string;
  clientKey: string;
  otherClientCert: string;
  otherClientKey: string;
}

export function haveOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

function run(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

let cached: TestCerts | null = null;

export function makeTestCerts(): TestCerts | null {
  if (cached) return cached;
  if (!haveOpenssl()) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-certs-'));
  const days = ['-days', '2'];
  run(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Redust Test CA', ...days]);
  run(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-subj', '/CN=Other CA', ...days]);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  const leaf = (name: string, ca: string, ext: string) => {
    run(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? 'localhost' : name}`]);
    run(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-extfile', ext, ...days]);
  };
  leaf('server', 'ca', 'server.ext');
  leaf('client', 'ca', 'client.ext');
  leaf('other-client', 'other-ca', 'client.ext');
  run(dir, ['rsa', '-in', 'server.key', '-aes256', '-passout', 'pass:s3cret', '-out', 'server-enc.key']);
  const caDir = path.join(dir, 'cadir');
  fs.mkdirSync(caDir);
  fs.copyFileSync(path.join(dir, 'ca.crt'), path.join(caDir, 'ca.pem'));
  const p = (f: string) => path.join(dir, f);
  cached = {
    dir,
    caCert: p('ca.crt'),
    caDir,
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    serverKeyEncrypted: p('server-enc.key'),
    keyPass: 's3cret',
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    otherClientCert: p('other-client.crt'),
    otherClientKey: p('other-client.key'),
  };
  return cached;
}
