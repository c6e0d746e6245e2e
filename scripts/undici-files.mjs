/**
 * src/http/undici.ts loads undici file by file through createRequire (start-up time), which a bundler
 * cannot follow: this esbuild plugin makes those plain require() calls, so the files are bundled
 * (the CLI bundle, scripts/bundle.mjs, and the action's, scripts/bundle-action.mjs).
 */
import { readFile } from 'node:fs/promises';

export const undiciFiles = {
  name: 'undici-files',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]http[\\/]undici\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const contents = text.replace(/^const load = createRequire\(import\.meta\.url\);$/m, '').replace(/\bload\(/g, 'require(');
      if (contents.includes('createRequire(import.meta.url)')) throw new Error('src/http/undici.ts changed: update scripts/undici-files.mjs');
      return { contents, loader: 'js' };
    });
  },
};
