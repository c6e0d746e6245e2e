/**
 * Issue 25: the README's library snippets compile. Every ```ts or ```js block of README.md that imports from
 * 'ocipack' is type-checked, strict, as an ES module, with the TypeScript compiler API against the typings the
 * package ships (dist/src/index.d.ts, mapped as 'ocipack'); a snippet with a misspelt option must fail the same
 * check, so the check is not one that always passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { tempDir } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The library snippets of README.md: fenced ts/js blocks that import from 'ocipack', with their line numbers. */
async function librarySnippets(): Promise<Array<{ line: number; text: string }>> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(ts|typescript|js|mjs)\n([\s\S]*?)^```$/gm)]
    .filter((m) => /from 'ocipack'/.test(m[2]!))
    .map((m) => ({ line: readme.slice(0, m.index).split('\n').length, text: m[2]! }));
}

/** Type-check `files` (name → text) as ES modules against the shipped typings; the diagnostics, formatted. */
async function typeCheck(files: Record<string, string>): Promise<string[]> {
  const dir = await tempDir('ocipack-snippets-');
  const names = await Promise.all(Object.entries(files).map(async ([name, text]) => {
    const path = join(dir, `${name}.mts`);
    await writeFile(path, text);
    return path;
  }));
  const program = ts.createProgram(names, {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
    paths: { ocipack: [join(ROOT, 'dist/src/index.d.ts')] },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') +
    (d.file && d.start !== undefined ? ` (${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1})` : ''));
}

test('every library snippet of the README type-checks against the shipped typings', async () => {
  const snippets = await librarySnippets();
  assert.ok(snippets.length >= 1, 'the README shows the library');
  const files = Object.fromEntries(snippets.map((s) => [`readme-line-${s.line}`, s.text]));
  assert.deepEqual(await typeCheck(files), []);
});

test('the same check fails a snippet with a misspelt option or a field the typings do not have', async () => {
  const [first] = await librarySnippets();
  const misspelt = first!.text.replace('reference:', 'referenc:');
  assert.notEqual(misspelt, first!.text);
  const errors = await typeCheck({ misspelt, unknownField: `import { OcipackError } from 'ocipack';\ndeclare const e: OcipackError;\nconsole.log(e.noSuchField);\n` });
  assert.ok(errors.some((e) => /referenc/.test(e) && /misspelt/.test(e)), errors.join('\n'));
  assert.ok(errors.some((e) => /noSuchField/.test(e) && /unknownField/.test(e)), errors.join('\n'));
});
