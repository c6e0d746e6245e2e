/** Fresh small artifacts pushed with the CLI, one repository each, for tests that sign and verify them. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ocipack, tempDir } from './cli.js';
import { headManifest, type Desc } from './rawoci.js';

/**
 * A function that pushes a one-file artifact to `<prefix><n>:v1` (n counting up) on the registry `reg()`
 * returns (a getter: the registry starts in `before`), and gives its reference, repository and descriptor.
 */
export function artifactPusher(reg: () => { host: string; url: string }, prefix: string): () => Promise<{ ref: string; repo: string; desc: Desc }> {
  let n = 0;
  return async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'cm.yaml'), `kind: ConfigMap # ${n}\n`);
    const repo = `${prefix}${n++}`;
    const ref = `oci://${reg().host}/${repo}:v1`;
    const r = await ocipack(['push', ref, '-f', dir, '--source', 's', '--revision', 'r']);
    assert.equal(r.code, 0, r.stderr);
    return { ref, repo, desc: await headManifest(reg().url, repo, 'v1') };
  };
}
