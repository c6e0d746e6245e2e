/**
 * Walking a store's tags as they arrive: a registry's `Link` pages one at a time (the next page asked for
 * while the current one resolves), a layout's index in one read. Nothing here holds the whole tag list;
 * callers keep what they need of each page.
 */
import { ANNOTATIONS } from '../oci/mediatypes.js';
import { mapLimit } from './pool.js';
import { tryResolve } from './read.js';
import { isEntryLister, isTagPager, type Target } from './target.js';

/** One tag and the manifest it names. */
export interface TagDigest {
  tag: string;
  digest: string;
}

export interface TagScanOptions {
  /** Parallel resolves within a page. */
  concurrency: number;
  signal?: AbortSignal;
  /** Which tags of a page to resolve; the rest reach `onPage` unresolved. Default: every tag. */
  select?: (tag: string) => boolean;
}

/** The store's tags a page at a time: its own pages (a registry), else its whole list as one page. */
export async function* tagPagesOf(target: Target): AsyncGenerator<string[]> {
  if (isTagPager(target)) {
    yield* target.tagPages();
    return;
  }
  yield await target.listTags();
}

/**
 * Every page of tags, the selected ones resolved to digests (a tag deleted meanwhile is left out), handed to
 * `onPage` in order. A layout answers from its index entries without a lookup per tag.
 */
export async function scanTags(target: Target, opts: TagScanOptions, onPage: (resolved: TagDigest[], others: string[]) => void): Promise<void> {
  const select = opts.select ?? (() => true);
  if (isEntryLister(target)) {
    const resolved: TagDigest[] = [];
    const others: string[] = [];
    const seen = new Set<string>();
    for (const e of await target.indexEntries()) {
      const tag = e.annotations?.[ANNOTATIONS.refName];
      if (tag === undefined || seen.has(tag)) continue;
      seen.add(tag);
      if (select(tag)) resolved.push({ tag, digest: e.digest });
      else others.push(tag);
    }
    onPage(resolved, others);
    return;
  }
  const pages = tagPagesOf(target);
  let next = pages.next();
  for (;;) {
    const page = await next;
    if (page.done) return;
    next = pages.next();
    next.catch(() => undefined);
    const wanted = page.value.filter(select);
    const others = page.value.filter((t) => !select(t));
    const found = await mapLimit(wanted, opts.concurrency, async (tag) => {
      const d = await tryResolve(target, tag);
      return d === undefined ? undefined : { tag, digest: d.digest };
    }, opts.signal);
    onPage(found.filter((x): x is TagDigest => x !== undefined), others);
  }
}

/** The tags naming `digest` (as far as the tag list shows), resolved page by page. */
export async function tagsNaming(target: Target, digest: string, opts: TagScanOptions): Promise<string[]> {
  const out: string[] = [];
  await scanTags(target, opts, (resolved) => {
    for (const r of resolved) if (r.digest === digest) out.push(r.tag);
  });
  return out;
}
