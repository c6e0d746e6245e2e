/** A small YAML emitter for machine output (plain objects, arrays, strings, numbers, booleans, null). */
import { escapeSerialised } from './safetext.js';

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@:+-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  if (s !== '' && PLAIN.test(s) && !RESERVED.test(s) && !/: |:$/.test(s)) return s;
  return escapeSerialised(JSON.stringify(s));
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function lines(v: unknown, indent: string): string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return [`${indent}[]`];
    return v.flatMap((item) => {
      if (isScalar(item)) return [`${indent}- ${scalar(item)}`];
      const inner = lines(item, `${indent}  `);
      return [`${indent}- ${inner[0]!.trimStart()}`, ...inner.slice(1)];
    });
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return [`${indent}{}`];
    return entries.flatMap(([k, x]) => {
      const key = scalar(k);
      if (isScalar(x)) return [`${indent}${key}: ${scalar(x)}`];
      if (Array.isArray(x) && x.length === 0) return [`${indent}${key}: []`];
      if (!Array.isArray(x) && Object.keys(x as object).length === 0) return [`${indent}${key}: {}`];
      return [`${indent}${key}:`, ...lines(x, Array.isArray(x) ? indent : `${indent}  `)];
    });
  }
  return [`${indent}${scalar(v)}`];
}

/** Serialise `value` as a YAML document (block style, strings quoted when they need it). */
export function toYaml(value: unknown): string {
  return `${lines(value, '').join('\n')}\n`;
}
