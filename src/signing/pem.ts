/** PEM blocks (RFC 7468) read and written the way Go's encoding/pem does, which cosign uses. */
import { OcipackError } from '../core/errors.js';

export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `PUBLIC KEY`. */
  type: string;
  /** RFC 1421 headers (`Proc-Type: …`), rarely present. */
  headers: Record<string, string>;
  bytes: Buffer;
}

const BEGIN = /-----BEGIN ([^-\r\n]*)-----\r?\n/g;

/** Every PEM block in `text`, in order; text outside blocks is ignored as Go's pem.Decode does. */
export function decodePemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
    const type = m[1]!;
    const endMarker = `-----END ${type}-----`;
    const end = text.indexOf(endMarker, BEGIN.lastIndex);
    if (end < 0) break;
    const body = text.slice(BEGIN.lastIndex, end);
    const headers: Record<string, string> = {};
    let b64 = body;
    const blank = body.search(/\r?\n\r?\n/);
    if (blank >= 0 && /^[A-Za-z-]+:/.test(body)) {
      for (const line of body.slice(0, blank).split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      b64 = body.slice(blank);
    }
    const clean = b64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
      throw new OcipackError('BAD_INPUT', `PEM block "${type}" is not valid base64`);
    }
    out.push({ type, headers, bytes: Buffer.from(clean, 'base64') });
    BEGIN.lastIndex = end + endMarker.length;
  }
  return out;
}

/** The first PEM block, or a BAD_INPUT error naming `what` (e.g. the file) when there is none. */
export function decodePem(text: string, what: string): PemBlock {
  const block = decodePemBlocks(text)[0];
  if (!block) throw new OcipackError('BAD_INPUT', `${what} is not a PEM file (no -----BEGIN ...----- block)`);
  return block;
}

/** Go's pem.EncodeToMemory: BEGIN line, base64 in 64-character lines, END line, each ending in `\n`. */
export function encodePem(type: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.map((l) => `${l}\n`).join('')}-----END ${type}-----\n`;
}
