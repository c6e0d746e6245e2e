/**
 * The mirror file (`ocipack mirror <file.yaml>`, flux-mirror's list): a YAML sequence of
 * `{source, destination, semver?, tags?, regex?, includeReferrers?}`; a source or destination written as a
 * path (`/…`, `./…`, `../…`) is an OCI image-layout directory. Parsed whole before any transfer;
 * every mistake (an unknown key, a missing field, a bad reference, range, regex or tag) is a usage error
 * naming the file and the line. Pure: the caller reads the file.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { OcipackError, usageError } from '../core/errors.js';
import { isTag, parseRepository, type Reference } from './reference.js';
import { parseSemverFilter, parseTagRegex, type SemverFilter } from './semver.js';

/** A repository of a registry, or an OCI layout directory (its path as written: relative to the file). */
export type MirrorSide = { kind: 'remote'; ref: Reference } | { kind: 'layout'; path: string };

/** One entry of the file: which tags of `source` go to `destination`. */
export interface MirrorEntry {
  /** `file:line` of the entry, for messages. */
  where: string;
  source: MirrorSide;
  destination: MirrorSide;
  /** Explicit tags; each must exist at the source. */
  tags?: string[];
  semver?: SemverFilter;
  regex?: RegExp;
  /** Signatures, attestations, SBOMs (OCI referrers and cosign `.sig/.att/.sbom` tags) travel along. */
  includeReferrers: boolean;
}

const KEYS = ['source', 'destination', 'semver', 'tags', 'regex', 'includeReferrers'] as const;

/** Parse the text of mirror file `name`; usage errors name `name:line`. */
export function parseMirrorFile(text: string, name: string): MirrorEntry[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (node: Node | null | undefined): string => `${name}:${node?.range ? lines.linePos(node.range[0]).line : 1}`;
  const fail = (node: Node | null | undefined, message: string): OcipackError => usageError(`${at(node)}: ${message}`, { path: name });
  const bad = doc.errors[0];
  if (bad) throw usageError(`${name}:${lines.linePos(bad.pos[0]).line}: not valid YAML: ${bad.message.split('\n')[0] ?? ''}`, { path: name });
  const root = doc.contents;
  if (!isSeq(root)) throw fail(root, 'expected a list of entries (- source: oci://host/repo …)');
  if (root.items.length === 0) throw fail(root, 'the list is empty: nothing to mirror');
  return root.items.map((item) => {
    if (!isMap(item)) throw fail(item as Node, `an entry is a mapping with ${KEYS.join(', ')}`);
    return entryOf(item, at(item), fail);
  });
}

type Fail = (node: Node | null | undefined, message: string) => OcipackError;

function entryOf(map: YAMLMap, where: string, fail: Fail): MirrorEntry {
  const fields = new Map<string, Pair<Node, Node>>();
  for (const p of map.items as Array<Pair<Node, Node>>) {
    const key = isScalar(p.key) ? String(p.key.value) : '';
    if (!(KEYS as readonly string[]).includes(key)) throw fail(p.key, `unknown key "${key}" (known: ${KEYS.join(', ')})`);
    fields.set(key, p);
  }
  const need = (key: 'source' | 'destination'): MirrorSide => {
    const p = fields.get(key);
    if (!p) throw fail(map, `the entry has no ${key} (oci://host/repository, or ./dir for a layout)`);
    return sideAt(p.value, key, fail);
  };
  const entry: MirrorEntry = { where, source: need('source'), destination: need('destination'), includeReferrers: false };
  const semver = fields.get('semver');
  if (semver) entry.semver = located(semver.value, fail, () => parseSemverFilter(stringAt(semver.value, 'semver', fail), 'semver'));
  const regex = fields.get('regex');
  if (regex) entry.regex = located(regex.value, fail, () => parseTagRegex(stringAt(regex.value, 'regex', fail), 'regex'));
  const tags = fields.get('tags');
  if (tags) entry.tags = tagsAt(tags.value, fail);
  if (tags && (semver || regex)) throw fail(tags.key, 'tags names the tags itself: leave out semver and regex');
  const refs = fields.get('includeReferrers');
  if (refs) {
    if (!isScalar(refs.value) || typeof refs.value.value !== 'boolean') throw fail(refs.value, 'includeReferrers is true or false');
    entry.includeReferrers = refs.value.value;
  }
  return entry;
}

/** Runs a parser of one value; its usage error gets the value's line. */
function located<T>(node: Node | null, fail: Fail, parse: (v: Node | null) => T): T {
  try {
    return parse(node);
  } catch (err) {
    if (err instanceof OcipackError && err.code === 'USAGE' && !/^[^ ]+:\d+: /.test(err.message)) throw fail(node, err.message);
    throw err;
  }
}

/** A scalar's text as written (a bare `1.10` stays `1.10`, not the number 1.1). */
function stringAt(node: Node | null, key: string, fail: Fail): string {
  if (!isScalar(node) || node.value === null || typeof node.value === 'boolean') throw fail(node, `${key} is a string`);
  return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
}

/** A path is a layout directory (no registry reference starts with `/` or `.`); anything else a repository. */
function sideAt(node: Node | null, key: string, fail: Fail): MirrorSide {
  const text = stringAt(node, key, fail);
  if (/^\.{0,2}\//.test(text)) return { kind: 'layout', path: text };
  return { kind: 'remote', ref: located(node, fail, () => parseRepository(text)) };
}

function tagsAt(node: Node | null, fail: Fail): string[] {
  if (!isSeq(node) || node.items.length === 0) throw fail(node, 'tags is a list of tags, e.g. [v1.0.0, latest]');
  return node.items.map((item) => {
    const tag = stringAt(item as Node, 'a tag', fail);
    if (!isTag(tag)) throw fail(item as Node, `invalid tag "${tag}"`);
    return tag;
  });
}
