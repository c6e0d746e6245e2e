/**
 * The one place registry-controlled text is made safe for a terminal (issue 13 §5): C0 and C1
 * controls (U+009B CSI included), DEL and the bidi overrides, isolates and marks become visible
 * `\u001b`-style escapes, so an annotation cannot emit ESC/OSC sequences or forge a `✔` line.
 */

/** C0, DEL, C1, LRM/RLM, the bidi embeddings/overrides and isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `\u001b` for one code unit. */
function escapeOf(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `s` with every unsafe character escaped; `keep` names characters left as they are (`\n`, `\t` in tables). */
export function safeText(s: string, keep = ''): string {
  return s.replace(UNSAFE, (ch) => (keep.includes(ch) ? ch : escapeOf(ch)));
}

/** The characters JSON.stringify leaves raw (DEL, C1, bidi) escaped inside serialised JSON/YAML strings. */
export function escapeSerialised(text: string): string {
  return text.replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, escapeOf);
}
