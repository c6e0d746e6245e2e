/**
 * Certificates for TLS tests, made by the real `openssl` (Debian package openssl): a private CA and a
 * server certificate for 127.0.0.1/localhost signed by it. Files live in a temp directory.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestCa {
  dir: string;
  /** PEM file of the CA certificate (what --ca-file / NODE_EXTRA_CA_CERTS point at). */
  ca: string;
  /** PEM files of the server certificate (SAN IP:127.0.0.1, DNS:localhost) and its key. */
  cert: string;
  key: string;
  /** Remove the directory. */
  cleanup(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await exec('openssl', args, { cwd });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl not found: install the Debian package openssl');
    throw err;
  }
}

/** A fresh CA (`name` in its subject) and a server certificate for loopback signed by it. */
export async function makeTestCa(name = 'ocipack test CA'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-days', '3', '-subj', `/CN=${name}`, '-keyout', 'ca.key', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  await writeFile(join(dir, 'server.ext'), [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n'));
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3',
    '-extfile', 'server.ext', '-out', 'server.pem'], dir);
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
