/** Tag listing with `Link` pagination (OCI distribution-spec "Listing Tags"; RFC 8288 links). */
import { DEFAULTS } from '../core/defaults.js';
import { OcipackError } from '../core/errors.js';
import { readCapped } from '../http/body.js';
import { failure } from './failure.js';
import { header } from '../http/request.js';
import { apiPath, ctxOf, type Repo } from './repo.js';

/** Tags per page we ask for. */
export const TAG_PAGE_SIZE = 1000;
const PAGE_BYTES = 16 * 1024 * 1024;

/** The `rel="next"` target of a `Link` header, if any. */
export function nextLink(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  for (const m of value.matchAll(/<([^>]*)>([^,]*)/g)) {
    for (const param of (m[2] ?? '').split(';')) {
      const rel = /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(param);
      if (rel?.[1] !== undefined && rel[1].toLowerCase().split(/\s+/).includes('next')) return m[1];
    }
  }
  return undefined;
}

/**
 * Every tag of the repository, following `Link` pages on the registry's own origin only (tagPages, collected).
 * More than `maxTags` tags, or more than DEFAULTS.caps.tagPages pages, fail with CAP naming the host and
 * the `maxTags` option.
 */
export async function listTags(repo: Repo, pageSize = TAG_PAGE_SIZE, maxTags: number = DEFAULTS.caps.tags): Promise<string[]> {
  const tags: string[] = [];
  for await (const page of tagPages(repo, pageSize, maxTags)) {
    for (const tag of page) tags.push(tag);
  }
  return tags;
}

/**
 * The repository's tags one page at a time, each page yielded as it arrives and the next one asked for
 * only when the consumer wants it, so a caller filtering pages holds no more than it keeps. The caps of
 * listTags apply to the whole walk.
 */
export async function* tagPages(repo: Repo, pageSize = TAG_PAGE_SIZE, maxTags: number = DEFAULTS.caps.tags): AsyncGenerator<string[]> {
  // the first page is asked by path: it may be the session's first contact, which decides the base URL
  let url: string | URL | undefined = apiPath(repo, `tags/list?n=${pageSize}`);
  let count = 0;
  const seen = new Set<string>();
  for (let page = 0; url !== undefined; page++) {
    if (page >= DEFAULTS.caps.tagPages) throw capError(repo, `${repo.client.host}/${repo.name} linked more than ${DEFAULTS.caps.tagPages} tag list pages (${count} tags so far)`);
    if (typeof url !== 'string' && seen.has(url.href)) break;
    const res = await repo.client.send({ method: 'GET', target: url, scopes: repo.scopes, headers: { accept: 'application/json' } });
    const base = await repo.client.base();
    seen.add(new URL(url, base).href);
    if (res.status !== 200) await failure(res, ctxOf(repo, 'tag list'));
    const { bytes, complete } = await readCapped(res.body, PAGE_BYTES);
    if (!complete) throw new OcipackError('CAP', `a tag list page of ${repo.client.host}/${repo.name} is larger than ${PAGE_BYTES} bytes`);
    const tags = parseTagPage(bytes, repo);
    count += tags.length;
    if (count > maxTags) throw capError(repo, `${repo.client.host}/${repo.name} has more than ${maxTags} tags (\`maxTags\`)`);
    const next = nextLink(header(res, 'link'));
    url = next === undefined ? undefined : sameOrigin(new URL(next, res.url), base, repo);
    yield tags;
  }
}

function capError(repo: Repo, message: string): OcipackError {
  return new OcipackError('CAP', message, { context: { option: 'maxTags', host: repo.client.host, next: 'raise-cap' } });
}

function parseTagPage(bytes: Buffer, repo: Repo): string[] {
  let doc: { tags?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as { tags?: unknown };
  } catch {
    throw new OcipackError('REGISTRY', `${repo.client.host} sent a tag list for ${repo.name} that is not JSON`);
  }
  if (doc.tags === null || doc.tags === undefined) return [];
  if (!Array.isArray(doc.tags)) throw new OcipackError('REGISTRY', `${repo.client.host} sent a malformed tag list for ${repo.name}`);
  return doc.tags.filter((t): t is string => typeof t === 'string');
}

function sameOrigin(next: URL, base: URL, repo: Repo): URL {
  if (next.origin !== base.origin) {
    throw new OcipackError('REGISTRY', `${repo.client.host} linked the next tag page to another origin (${next.host}); refusing`);
  }
  return next;
}
