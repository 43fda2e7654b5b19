/** Small text helpers with Docker's (Go's) exact behaviour. */
import { displayWidth } from './tabwriter';

/** stringid.TruncateID: drops an "algo:" prefix, keeps 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  if (i >= 0) id = id.slice(i + 1);
  return id.length > 12 ? id.slice(0, 12) : id;
}

/**
 * Docker's formatter.Ellipsis: fits `s` into `max` display cells, the last one being "…"
 * when it had to be cut.
 */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = Array.from(s);
  if (max === 1) return chars[0] ?? '';
  if (displayWidth(s) <= max) return s;
  let w = 0;
  let out = '';
  for (const ch of chars) {
    const cw = displayWidth(ch);
    if (w + cw > max - 1) break;
    w += cw;
    out += ch;
  }
  return out + '…';
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
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
      case '\v':
        out += '\\v';
        continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      out += '\uFFFD';
    } else if (PRINTABLE.test(ch)) {
      out += ch;
    } else if (c < 0x80) {
      out += '\\x' + c.toString(16).padStart(2, '0');
    } else if (c < 0x10000) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else {
      out += '\\U' + c.toString(16).padStart(8, '0');
    }
  }
  return out + '"';
}
