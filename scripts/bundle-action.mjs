#!/usr/bin/env node
/**
 * Bundles the GitHub Action (src/action/main.ts, compiled by tsc into dist/src/action/main.js) with every
 * dependency into action/main.js, and writes action/index.js, which calls its run(). Both are committed:
 * an action runs from the repository without `npm install` (issue 28 §1); test/unit/action checks that the
 * committed files are what this script makes from the sources. The cloud SDKs (optional peers of
 * --provider) stay out: a job that needs one installs it.
 *   node scripts/bundle-action.mjs [outdir]   (default: action/)
 */
import { build } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { undiciFiles } from './undici-files.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Optional peer dependencies, loaded only with --provider aws|azure|gcp. */
const PEERS = ['@aws-sdk/client-ecr', '@aws-sdk/client-ecr-public', '@azure/identity', 'google-auth-library'];

const INDEX = `// The action's entry (action.yml runs.main). The logic is run() in main.js, which @github/local-action drives.
import { run } from './main.js';

await run();
// Kept-alive registry connections must not hold the step open.
process.exit(process.exitCode ?? 0);
`;

/** Writes main.js and index.js into `outdir`; the same sources and node_modules give the same bytes. */
export async function bundleAction(outdir) {
  await mkdir(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { main: 'dist/src/action/main.js' },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // node_modules may be a symlink (a git worktree's): module names stay `node_modules/…` either way.
    preserveSymlinks: true,
    external: PEERS,
    plugins: [undiciFiles],
    banner: { js: "import { createRequire as __ocipackCreateRequire } from 'node:module'; const require = __ocipackCreateRequire(import.meta.url);" },
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'error',
  });
  await writeFile(`${outdir}/index.js`, INDEX);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleAction(process.argv[2] ?? `${root}action`);
