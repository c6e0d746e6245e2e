import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedPaths, compareObjects, objectId, parseObjects } from '../../../../src/artifact/diff/kubernetes.js';
import { objectChanges } from '../../../../src/artifact/diff/objects.js';
import { compareTrees, type SideEntry } from '../../../../src/artifact/diff/tree.js';

const deploy = (replicas: number, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod${extra}
spec:
  replicas: ${replicas}
`;
const cm = (name: string, ns?: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}data:\n  k: v\n`;

test('parseObjects: every document of a multi-document file; a missing namespace is empty (not "default"); non-objects skipped', () => {
  const objs = parseObjects(`${deploy(1)}---\n${cm('cfg')}---\n# only a comment\n---\nfoo: bar\n---\n- a list\n---\napiVersion: v1\nkind: Secret\nmetadata: {}\n`, 'x.yaml');
  assert.deepEqual(objs.map((o) => [objectId(o), o.namespace, o.path]), [['Deployment/prod/web', 'prod', 'x.yaml'], ['ConfigMap/cfg', '', 'x.yaml']]);
});

test('parseObjects: a List is expanded into its items (each with its own namespace); invalid YAML throws', () => {
  const list = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a, namespace: n1}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: b}\n  - not an object\n`;
  assert.deepEqual(parseObjects(list, 'l.yaml').map(objectId), ['ConfigMap/n1/a', 'ConfigMap/b']);
  assert.throws(() => parseObjects('a: [\n', 'bad.yaml'), /./);
  assert.throws(() => parseObjects('a: 1\na: 2\n', 'dup-key.yaml'), /unique/i);
});

test('compareObjects: added, removed, changed (with the changed paths), moved; comments, key order and layout are no change', () => {
  const a = [...parseObjects(`${deploy(1)}---\n${cm('moved', 'prod')}---\n${cm('gone', 'prod')}---\n${cm('same', 'prod')}`, 'all.yaml')];
  const b = [
    ...parseObjects(`# now with a comment\nkind: Deployment\napiVersion: apps/v1\nmetadata: {namespace: prod, name: web, labels: {app.kubernetes.io/name: web}}\nspec: {replicas: 3}\n---\n${cm('same', 'prod')}---\n${cm('new', 'prod')}`, 'all.yaml'),
    ...parseObjects(cm('moved', 'prod'), 'moved.yaml'),
  ];
  const changes = compareObjects(a, b);
  assert.deepEqual(changes.map((c) => [c.status, c.id, c.from, c.path, c.paths]), [
    ['removed', 'ConfigMap/prod/gone', 'all.yaml', undefined, undefined],
    ['moved', 'ConfigMap/prod/moved', 'all.yaml', 'moved.yaml', undefined],
    ['added', 'ConfigMap/prod/new', undefined, 'all.yaml', undefined],
    ['changed', 'Deployment/prod/web', undefined, 'all.yaml', ['metadata.labels', 'spec.replicas']],
  ]);
  assert.equal(changes[3]?.patch, undefined, 'patches only when asked');
});

test('compareObjects: identity is group, kind, namespace and name — a version bump is a change, another namespace another object', () => {
  const a = parseObjects('apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n---\n' + cm('c', 'one'), 'a.yaml');
  const b = parseObjects('apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n---\n' + cm('c', 'two'), 'a.yaml');
  assert.deepEqual(compareObjects(a, b).map((c) => [c.status, c.id, c.paths]), [
    ['removed', 'ConfigMap/one/c', undefined],
    ['added', 'ConfigMap/two/c', undefined],
    ['changed', 'HorizontalPodAutoscaler/h', ['apiVersion']],
  ]);
});

test('compareObjects -u: a unified diff per object of its canonical YAML; a duplicate declaration is warned, the first compared', () => {
  const warnings: string[] = [];
  const a = parseObjects(deploy(1), 'a.yaml');
  const b = [...parseObjects(deploy(2), 'a.yaml'), ...parseObjects(deploy(5), 'copy.yaml')];
  const [c] = compareObjects(a, b, { unified: true, warn: (m) => warnings.push(m) });
  assert.equal(c?.patch, [
    '--- a/Deployment/prod/web', '+++ b/Deployment/prod/web', '@@ -4,4 +4,4 @@', '   name: web', '   namespace: prod', ' spec:', '-  replicas: 1', '+  replicas: 2', '',
  ].join('\n'));
  assert.deepEqual(warnings, ['Deployment/prod/web is declared twice (a.yaml, copy.yaml); the first is compared']);
});

test('changedPaths: maps by key, lists by index, added and removed keys, a scalar that became a map', () => {
  const out: string[] = [];
  changedPaths({ a: 1, l: [1, 2], m: { x: 1, 'app.kubernetes.io/name': 'a' }, s: 'v' }, { a: 1, l: [1, 3, 4], m: { y: 1, 'app.kubernetes.io/name': 'b' }, s: { v: 1 }, n: null }, '', out);
  assert.deepEqual(out, ['l[1]', 'l[2]', 'm["app.kubernetes.io/name"]', 'm.x', 'm.y', 'n', 's']);
});

const text = (s: string): SideEntry => ({ type: 'file', sha256: s, body: Buffer.from(s), size: s.length, exec: false });

test('objectChanges: invalid YAML on one side leaves the file a changed file (warned), its objects compared on neither side', async () => {
  const a = new Map([['apps.yaml', text(deploy(1))], ['cfg.yaml', text(cm('c'))], ['notes.txt', text('x')]]);
  const b = new Map([['apps.yaml', text(deploy(2))], ['cfg.yaml', text('apiVersion: v1\nkind: [\n')], ['notes.txt', text('y')]]);
  const warnings: string[] = [];
  const changes = compareTrees(b, a);
  const objects = await objectChanges(changes, a, b, { warn: (m) => warnings.push(m) });
  assert.deepEqual(changes.map((c) => c.path), ['apps.yaml', 'cfg.yaml', 'notes.txt']);
  assert.deepEqual(objects.map((o) => [o.status, o.id]), [['changed', 'Deployment/prod/web']], 'ConfigMap/c is not reported removed');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /^b\/cfg\.yaml is not valid YAML \(.+\); compared as a file, not as Kubernetes objects$/);
});

test('objectChanges: a mode-only change is not read; an added or removed file brings its objects', async () => {
  const a = new Map<string, SideEntry>([['x.yaml', { type: 'file', sha256: '1', exec: false }], ['old.yaml', text(cm('o'))]]);
  const b = new Map<string, SideEntry>([['x.yaml', { type: 'file', sha256: '1', exec: true }], ['new.yaml', text(cm('n'))]]);
  const objects = await objectChanges(compareTrees(b, a), a, b, { warn: assert.fail });
  assert.deepEqual(objects.map((o) => [o.status, o.id, o.path ?? o.from]), [['added', 'ConfigMap/n', 'new.yaml'], ['removed', 'ConfigMap/o', 'old.yaml']]);
});
