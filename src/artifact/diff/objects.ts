/** `diff --kubernetes` over two trees: the objects of every changed YAML file, read once, compared by identity. */
import { DEFAULTS } from '../../core/defaults.js';
import { compareObjects, parseObjects, type KubeObject, type ObjectChange } from './kubernetes.js';
import { asText, contentOf } from './patch.js';
import { isYamlPath, type DiffChange, type SideEntry } from './tree.js';

/**
 * The object changes behind the file changes: only files that differ are read (an unchanged file holds
 * the same objects on both sides). A file that cannot be read as objects (not valid YAML, binary, too
 * big, past the memory budget) stays a changed file: a warning says so, and its objects are compared on
 * neither side (so nothing in it is reported removed or added by mistake).
 */
export async function objectChanges(
  changes: readonly DiffChange[],
  a: ReadonlyMap<string, SideEntry>,
  b: ReadonlyMap<string, SideEntry>,
  opts: { unified?: boolean; warn: (message: string) => void },
): Promise<ObjectChange[]> {
  const before: KubeObject[] = [];
  const after: KubeObject[] = [];
  for (const c of changes) {
    if (!isYamlPath(c.path) || c.reason === 'mode') continue;
    const [x, y] = await Promise.all([objectsOfFile(a.get(c.path), `a/${c.path}`, opts.warn), objectsOfFile(b.get(c.path), `b/${c.path}`, opts.warn)]);
    if (x === undefined || y === undefined) continue;
    before.push(...x);
    after.push(...y);
  }
  return compareObjects(before, after, opts);
}

/** A file's objects ([] when the side has no such file), or undefined (warned) when it cannot be read as objects; `name` is a/… or b/…. */
async function objectsOfFile(e: SideEntry | undefined, name: string, warn: (message: string) => void): Promise<KubeObject[] | undefined> {
  const body = await contentOf(e, DEFAULTS.caps.diffYamlBytes);
  if (body === undefined) return [];
  const why = body === 'too large' ? `larger than ${DEFAULTS.caps.diffYamlBytes} bytes` : body === 'over budget' ? 'past the memory budget of this diff' : undefined;
  const text = typeof body === 'string' ? undefined : asText(body);
  if (why !== undefined || text === undefined) {
    warn(`${name}: ${why ?? 'not UTF-8 text'}; compared as a file, not as Kubernetes objects`);
    return undefined;
  }
  try {
    return parseObjects(text, name.slice(2));
  } catch (err) {
    warn(`${name} is not valid YAML (${(err as Error).message}); compared as a file, not as Kubernetes objects`);
    return undefined;
  }
}
