/** The guard before a push (issue 28 §4): detectors as tables of text → hits, and the guard on real files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dotenvHits, hitsIn, interestIn, mayHit, pemHits, yamlHits } from '../../../src/artifact/secrets.js';
import { guardEntries, inspectEntries } from '../../../src/artifact/guard.js';
import { FindingsError, type Finding } from '../../../src/core/findings.js';
import type { WalkEntry } from '../../../src/artifact/tar/walk.js';

const secret = (extra = '') => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: aHVudGVyMg==\n${extra}`;

test('Kubernetes Secrets: plaintext data/stringData found in any document; sops-encrypted, empty and other kinds are not', () => {
  const cases: Array<[string, string, Array<{ kind: string; line: number }>]> = [
    ['one Secret', secret(), [{ kind: 'kubernetes-secret', line: 1 }]],
    ['third document', `kind: ConfigMap\n---\nkind: Service\n---\n${secret()}`, [{ kind: 'kubernetes-secret', line: 5 }]],
    ['stringData', 'kind: Secret\nstringData:\n  a: b\n', [{ kind: 'kubernetes-secret', line: 1 }]],
    ['sops metadata', secret('sops:\n  version: 3.8.1\n'), []],
    ['empty data', 'kind: Secret\ndata: {}\n', []],
    ['no data', 'kind: Secret\ntype: kubernetes.io/service-account-token\n', []],
    ['a ConfigMap', 'kind: ConfigMap\ndata:\n  a: b\n', []],
    ['a List of Secrets', `kind: List\nitems:\n- kind: Secret\n  data:\n    a: Yg==\n`, [{ kind: 'kubernetes-secret', line: 1 }]],
    ['JSON', '{"kind":"Secret","data":{"a":"Yg=="}}', [{ kind: 'kubernetes-secret', line: 1 }]],
    ['not YAML', 'kind: Secret\n  data: [\n', []],
    ['a Helm template', 'kind: Secret\ndata:\n  {{- range .Values.x }}\n', []],
    ['a templated value', 'kind: Secret\nstringData:\n  password: "{{ .Values.password }}"\n', []],
    ['a Flux substitution', 'kind: Secret\nstringData:\n  password: ${DB_PASSWORD}\n', []],
  ];
  for (const [name, text, want] of cases) {
    assert.deepEqual(yamlHits(text).map((h) => ({ kind: h.kind, line: h.line })), want, name);
  }
});

test('kubeconfigs: a token, client-key-data or password is found; a client-key file path or exec plugin is not', () => {
  const kc = (user: string) => `apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: u\n  user:\n${user}`;
  assert.match(yamlHits(kc('    token: abc\n'))[0]?.message ?? '', /kubeconfig with embedded credentials \(token\)/);
  assert.equal(yamlHits(kc('    client-key-data: LS0t\n    client-certificate-data: LS0t\n'))[0]?.kind, 'kubeconfig');
  assert.equal(yamlHits(kc('    username: a\n    password: b\n'))[0]?.kind, 'kubeconfig');
  assert.deepEqual(yamlHits(kc('    client-key: /home/me/key.pem\n')), []);
  assert.deepEqual(yamlHits(kc('    exec:\n      command: aws\n')), []);
});

test('PEM: private keys of every kind; public keys and certificates are fine', () => {
  for (const label of ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'ENCRYPTED SIGSTORE PRIVATE KEY']) {
    assert.deepEqual(pemHits(`# key\n\n-----BEGIN ${label}-----\nMC4C\n-----END ${label}-----\n`).map((h) => h.line), [3], label);
  }
  for (const label of ['PUBLIC KEY', 'CERTIFICATE', 'RSA PUBLIC KEY']) assert.deepEqual(pemHits(`-----BEGIN ${label}-----\nMC4C\n-----END ${label}-----\n`), [], label);
});

test('.env files: the first KEY=VALUE line; comments and empty values are not', () => {
  assert.deepEqual(dotenvHits('# comment\n\nexport API_TOKEN=abc\n').map((h) => h.line), [3]);
  assert.deepEqual(dotenvHits('A=\n# B=x\n'), []);
  assert.equal(interestIn('.env')?.dotenv, true);
  assert.equal(interestIn('prod.env')?.dotenv, true);
  assert.equal(interestIn('.env.example'), undefined, 'only .env and *.env');
  assert.equal(interestIn('environment.txt'), undefined);
  assert.equal(interestIn('README.md'), undefined, 'files no detector wants are not read');
  assert.deepEqual(hitsIn('notes.txt', secret()), [], 'only YAML/JSON names are parsed');
  assert.equal(hitsIn('id_rsa', '-----BEGIN OPENSSH PRIVATE KEY-----\n')[0]?.kind, 'private-key');
  assert.equal(hitsIn('config', 'kind: Config\nusers:\n- user:\n    token: x\n')[0]?.kind, 'kubeconfig');
});

async function entriesOf(files: Record<string, string | number>): Promise<WalkEntry[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ocipack-guard-'));
  const out: WalkEntry[] = [];
  for (const [path, body] of Object.entries(files).sort()) {
    const abs = join(dir, path.replace(/\//g, '_'));
    const bytes = typeof body === 'number' ? Buffer.alloc(body, 0x61) : Buffer.from(body);
    await writeFile(abs, bytes);
    out.push({ path, type: 'file', mode: 0o644, size: bytes.length, absPath: abs });
  }
  return out;
}

test('guardEntries: refuses every credential in one error (big files stay warnings); warns instead when not refusing', async () => {
  const entries = await entriesOf({ 'a/secret.yaml': secret(), 'b/.env': 'X=1\n', 'c/big.yaml': 2 * 1024 * 1024, 'd/ok.yaml': 'kind: ConfigMap\n' });
  const warned: Finding[] = [];
  await assert.rejects(guardEntries(entries, { refuse: true, onFinding: (f) => warned.push(f) }), (err: unknown) => {
    assert.ok(err instanceof FindingsError);
    assert.equal(err.code, 'BAD_INPUT');
    assert.deepEqual(err.findings.map((f) => [f.path, f.kind, f.line]), [['a/secret.yaml', 'kubernetes-secret', 1], ['b/.env', 'dotenv', 1]]);
    assert.match(err.message, /^refusing to push credentials: "a\/secret.yaml" line 1: a Kubernetes Secret "db" with plaintext data \(no sops metadata\); "b\/.env" line 1: .*; `allowSecrets` pushes them anyway$/);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  assert.deepEqual(warned.map((f) => f.kind), ['large-file']);
  const messages: string[] = [];
  await guardEntries(entries, { refuse: false, onFinding: (_f, m) => messages.push(m) });
  assert.deepEqual(messages, [
    '"a/secret.yaml" line 1: a Kubernetes Secret "db" with plaintext data (no sops metadata); push refuses it unless allowed',
    '"b/.env" line 1: a .env file with KEY=VALUE lines; push refuses it unless allowed',
    '"c/big.yaml": a big file for a config artifact (2 MiB, over 1 MiB)',
  ]);
});

test('inspectEntries: only the head is read; more than three findings are counted in the error', async () => {
  const late = `${'# padding\n'.repeat(100)}${secret()}`;
  const entries = await entriesOf({ 'late.yaml': late });
  assert.equal(inspectEntries(entries).length, 1);
  assert.equal(inspectEntries(entries, { headBytes: 500 }).length, 0, 'a Secret past the head is not seen');
  const many = await entriesOf({ '1.env': 'A=1', '2.env': 'A=1', '3.env': 'A=1', '4.env': 'A=1', '5.env': 'A=1' });
  await assert.rejects(guardEntries(many, { refuse: true }), /; and 2 more; `allowSecrets`/);
});

test('mayHit: a head without any detector marker is not decoded; one with a marker (or a .env) is', () => {
  const want = (name: string) => interestIn(name)!;
  assert.equal(mayHit(want('app.yaml'), Buffer.from('kind: Deployment\nspec: {}\n')), false);
  assert.equal(mayHit(want('app.yaml'), Buffer.from('kind: Secret\n')), true);
  assert.equal(mayHit(want('app.json'), Buffer.from('{"kind":"List","items":[]}')), true);
  assert.equal(mayHit(want('config'), Buffer.from('kind: Config\n')), true);
  assert.equal(mayHit(want('tls.key'), Buffer.from('-----BEGIN EC PRIVATE KEY-----\n')), true);
  assert.equal(mayHit(want('tls.pem'), Buffer.from('-----BEGIN CERTIFICATE-----\n')), false);
  assert.equal(mayHit(want('.env'), Buffer.from('# nothing\n')), true);
  for (const [name, text] of [['s.yaml', secret()], ['k.pem', '-----BEGIN RSA PRIVATE KEY-----\nx\n']] as const) {
    assert.ok(mayHit(want(name), Buffer.from(text)) && hitsIn(name, text).length === 1, name);
  }
});
