/** Option names below src/cli/, flags in it: the one table (src/cli/flags.ts), learnt from commander's options. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { buildProgram } from '../../../src/cli/program.js';
import { flagFor, hasFlag, ruleWithFlag, withFlagNames } from '../../../src/cli/flags.js';

const SRC = fileURLToPath(new URL('../../../../src/', import.meta.url));
buildProgram();

/** The code lines (no comments) of every source file below src/, but the two faces that speak in flags: src/cli/ and src/action/ (it runs the CLI's program). */
function codeBelowCli(): Array<{ file: string; line: string }> {
  const out: Array<{ file: string; line: string }> = [];
  for (const name of readdirSync(SRC, { recursive: true }) as string[]) {
    if (!name.endsWith('.ts') || name.startsWith('cli/') || name.startsWith('action/')) continue;
    for (const line of readFileSync(join(SRC, name), 'utf8').split('\n')) {
      if (!/^\s*(\*|\/\*\*|\/\/)/.test(line)) out.push({ file: name, line: line.replace(/\s\/\/ .*$/, '') });
    }
  }
  return out;
}

/** Option names as messages below src/cli/ write them: `name` in a '…' string, \`name\` in a template, or `option: 'name'`. */
function optionsNamed(line: string): string[] {
  const names = [...line.matchAll(/\\`([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)?)\\`/g)].map((m) => m[1]!);
  for (const s of line.matchAll(/'([^'\n]*)'/g)) names.push(...[...s[1]!.matchAll(/`([a-z][A-Za-z]*)`/g)].map((m) => m[1]!));
  names.push(...[...line.matchAll(/\boption: '([A-Za-z.]+)'/g)].map((m) => m[1]!));
  return names;
}

test('flagFor: library option names become the flags commander defines', () => {
  assert.equal(flagFor('insecureRegistry'), '--insecure-registry');
  assert.equal(flagFor('maxLayerBytes'), '--max-layer-size');
  assert.equal(flagFor('maxManifestBytes'), '--max-manifest-size');
  assert.equal(flagFor('maxPathBytes'), '--max-path-length');
  assert.equal(flagFor('timeoutMs'), '--timeout');
  assert.equal(flagFor('fromCreds'), '--from-creds');
  assert.equal(flagFor('ociLayout'), '--oci-layout');
  assert.equal(flagFor('annotations'), '-a/--annotations');
  assert.equal(flagFor('certificateGithubWorkflow.trigger'), '--certificate-github-workflow-trigger');
});

test('withFlagNames: options in backticks become flags; a name with no flag stays as written', () => {
  assert.equal(withFlagNames('TLS verification is off (`insecureRegistry`)'), 'TLS verification is off (--insecure-registry)');
  assert.equal(withFlagNames('`allLayers` cannot be combined with `layer`'), '--all-layers cannot be combined with --layer');
  assert.equal(withFlagNames('pass `dispatcher` yourself'), 'pass `dispatcher` yourself');
  assert.equal(ruleWithFlag('certificateGithubWorkflow.ref refs/tags/v1 (1.3.6.1.4.1.57264.1.6)'), '--certificate-github-workflow-ref refs/tags/v1 (1.3.6.1.4.1.57264.1.6)');
  assert.equal(ruleWithFlag('key /k/cosign.pub'), '--key /k/cosign.pub');
});

test('below src/cli/, messages name options, never flags; every option they name has a flag', () => {
  const code = codeBelowCli();
  // `--name`, or `-a`/`-u/…` alone; git's own arguments are no flags of ours
  const flag = /(?<=[\s'"`(/])--[a-z]|(?<=[\s'"`(])-[a-zA-Z](?=[\s/'"`])/;
  const flags = code.filter(({ line }) => flag.test(line) && !/\bgit\(/.test(line));
  assert.deepEqual(flags.map(({ file, line }) => `${file}: ${line.trim()}`), []);
  const unknown = new Set<string>();
  for (const { file, line } of code) for (const name of optionsNamed(line)) if (!hasFlag(name)) unknown.add(`${file}: ${name}`);
  assert.deepEqual([...unknown], []);
});
