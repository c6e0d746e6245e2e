/**
 * A borderless column table, as flux prints `flux list artifacts`: upper-case header, every cell
 * left-aligned and padded to its column's width, columns joined by a tab, no trailing whitespace.
 */
import { safeText } from './safetext.js';

export interface TableOptions {
  /** Between two padded columns; flux uses a tab. */
  separator?: string;
}

/** Render `rows` under `header` as text lines (each ending in `\n`); no rows gives the header only. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], opts: TableOptions = {}): string {
  const separator = opts.separator ?? '\t';
  const all = [header.map((h) => h.toUpperCase()), ...rows.map((r) => header.map((_, i) => clean(r[i] ?? '')))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  return all
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join(separator).trimEnd())
    .map((line) => `${line}\n`)
    .join('');
}

/** Columns a string takes in a terminal: East Asian wide and fullwidth characters count two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x300 && cp < 0x370) || cp === 0x200d) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function pad(cell: string, width: number): string {
  return cell + ' '.repeat(Math.max(0, width - displayWidth(cell)));
}

/** A cell is one line of plain text: control characters (tabs, line breaks, a hostile annotation's escapes) become visible escapes. */
function clean(cell: string): string {
  return safeText(cell);
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
