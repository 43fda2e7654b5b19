/**
 * JSON as Go's encoding/json writes it: the same string escapes (HTML characters escaped
 * unless asked not to), `omitempty` through values' toJSON returning undefined, and
 * json.Indent's layout.
 */
import { goKind } from './values';

export interface GoJsonOptions {
  /** indentation per level; compact when empty or undefined */
  indent?: string;
  /** escape <, > and & as \u003c... (the daemon's encoder does; `{{json}}` does not) */
  escapeHTML?: boolean;
  /** sort the keys of every object (a Go map); else only of objects marked as maps */
  sortKeys?: boolean;
}

export function goJsonString(s: string, escapeHTML = true): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + s[i + 1];
        i++;
      } else out += '\\ufffd';
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
    }
    if (c < 0x20 || c === 0x2028 || c === 0x2029 || (escapeHTML && (ch === '<' || ch === '>' || ch === '&'))) {
      out += '\\u' + c.toString(16).padStart(4, '0');
      continue;
    }
    out += ch;
  }
  return out + '"';
}

export function goJson(value: unknown, opts: GoJsonOptions = {}): string {
  const indent = opts.indent ?? '';
  const escapeHTML = opts.escapeHTML ?? true;
  const enc = (v: unknown, depth: number): string | undefined => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: () => unknown }).toJSON();
    }
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'string') return goJsonString(v, escapeHTML);
    const nl = indent ? '\n' + indent.repeat(depth + 1) : '';
    const close = indent ? '\n' + indent.repeat(depth) : '';
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const items = v.map((x) => enc(x, depth + 1) ?? 'null');
      return '[' + nl + items.join(',' + nl) + close + ']';
    }
    const obj = v as Record<string, unknown>;
    let keys = Object.keys(obj);
    if (opts.sortKeys || goKind(obj) === 'map') keys = keys.sort();
    const parts: string[] = [];
    for (const k of keys) {
      const e = enc(obj[k], depth + 1);
      if (e === undefined) continue;
      parts.push(goJsonString(k, escapeHTML) + (indent ? ': ' : ':') + e);
    }
    if (parts.length === 0) return '{}';
    return '{' + nl + parts.join(',' + nl) + close + '}';
  };
  return enc(value, 0) ?? 'null';
}
