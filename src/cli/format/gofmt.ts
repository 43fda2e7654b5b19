/**
 * Go's fmt for the values templates see: %v of strings, numbers, booleans, slices, maps
 * and structs, Sprint/Sprintln, and a Sprintf with Go's verbs, flags and error forms
 * ("%!d(string=x)", "%!s(MISSING)").
 */
import { goQuote } from './text';
import { formatG } from './size';
import { GoNil, goKind } from './values';

/** The value of a missing map key or an unset variable: Go's invalid reflect.Value. */
export const NO_VALUE: unique symbol = Symbol('no value');
export type NoValue = typeof NO_VALUE;

/** A Go type name for messages ("%!d(string=x)", "can't evaluate field X in type T"). */
export const GO_TYPE = Symbol('go-type');

export function goTypeName(v: unknown): string {
  if (v === NO_VALUE || v === undefined || v === null) return '<nil>';
  if (v instanceof GoNil) return v.kind === 'slice' ? '[]interface {}' : v.kind === 'map' ? 'map[string]interface {}' : '*struct';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float64';
    case 'bigint':
      return 'int64';
    case 'function':
      return 'func';
  }
  if (Array.isArray(v)) return '[]interface {}';
  const named = (v as Record<symbol, unknown>)[GO_TYPE];
  if (typeof named === 'string') return named;
  return 'map[string]interface {}';
}

/** Go's %v of a float64 (shortest representation, exponent form from 1e21 and below 1e-4). */
export function formatFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const s = String(x); // shortest round-trip digits
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-])(\d+)$/.exec(s);
  if (m) return `${m[1]}${m[2]}${m[3] ? '.' + m[3] : ''}e${m[4]}${m[5].padStart(2, '0')}`;
  return s;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : formatFloat(n);
}

/**
 * %v of a value. `top` is true for the operand itself: an invalid value prints
 * "<no value>" only there; a nil inside a slice or map prints "<nil>".
 */
export function formatValue(v: unknown, top = true): string {
  if (v === NO_VALUE || v === undefined) return top ? '<no value>' : '<nil>';
  if (v === null) return top ? '<no value>' : '<nil>';
  if (v instanceof GoNil) return v.toString();
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatNumber(v);
    case 'bigint':
      return v.toString();
    case 'function':
      return '<func>';
  }
  if (Array.isArray(v)) return '[' + v.map((x) => formatValue(x, false)).join(' ') + ']';
  const kind = goKind(v) ?? 'map';
  const obj = v as Record<string, unknown>;
  if (kind === 'map') {
    return 'map[' + Object.keys(obj).sort().map((k) => `${k}:${formatValue(obj[k], false)}`).join(' ') + ']';
  }
  const body = '{' + Object.keys(obj).filter((k) => typeof obj[k] !== 'function').map((k) => formatValue(obj[k], false)).join(' ') + '}';
  return kind === 'ptr' ? '&' + body : body;
}

const isStringArg = (v: unknown) => typeof v === 'string';

/** fmt.Sprint: operands are separated by a space when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && !isStringArg(a) && !isStringArg(args[i - 1])) out += ' ';
    out += formatValue(a, false);
  });
  return out;
}

/** fmt.Sprintln: always a space between operands, and a newline at the end. */
export function sprintln(args: unknown[]): string {
  return args.map((a) => formatValue(a, false)).join(' ') + '\n';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
}

function padTo(s: string, spec: Spec, numeric = false): string {
  const w = spec.width ?? 0;
  const len = Array.from(s).length;
  if (len >= w) return s;
  if (spec.minus) return s + ' '.repeat(w - len);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(w - len) + s.slice(sign.length);
  }
  return ' '.repeat(w - len) + s;
}

function badVerb(verb: string, v: unknown): string {
  if (v === null || v === undefined || v === NO_VALUE) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v, false)})`;
}

function signed(s: string, n: number, spec: Spec): string {
  if (n < 0 || Object.is(n, -0)) return s;
  if (spec.plus) return '+' + s;
  if (spec.space) return ' ' + s;
  return s;
}

function fmtInteger(n: number, verb: string, spec: Spec): string {
  const neg = n < 0;
  const abs = Math.abs(n);
  let digits: string;
  switch (verb) {
    case 'd':
    case 'v':
      digits = BigInt(abs).toString(10);
      break;
    case 'x':
      digits = BigInt(abs).toString(16);
      break;
    case 'X':
      digits = BigInt(abs).toString(16).toUpperCase();
      break;
    case 'o':
      digits = BigInt(abs).toString(8);
      break;
    case 'b':
      digits = BigInt(abs).toString(2);
      break;
    default:
      digits = String(abs);
  }
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, '0');
  if (spec.sharp) {
    if (verb === 'x') digits = '0x' + digits;
    else if (verb === 'X') digits = '0X' + digits;
    else if (verb === 'o' && !digits.startsWith('0')) digits = '0' + digits;
  }
  const s = neg ? '-' + digits : signed(digits, n, spec);
  return padTo(s, spec.prec !== undefined ? { ...spec, zero: false } : spec, true);
}

function fmtFloatVerb(x: number, verb: string, spec: Spec): string {
  let s: string;
  const prec = spec.prec;
  switch (verb) {
    case 'f':
    case 'F':
      s = Math.abs(x).toFixed(prec ?? 6);
      break;
    case 'e':
    case 'E': {
      const m = /^(\d(?:\.\d+)?)e([+-])(\d+)$/.exec(Math.abs(x).toExponential(prec ?? 6));
      s = m ? `${m[1]}e${m[2]}${m[3].padStart(2, '0')}` : String(Math.abs(x));
      if (verb === 'E') s = s.toUpperCase();
      break;
    }
    default:
      s = prec === undefined ? formatFloat(Math.abs(x)) : formatG(Math.abs(x), prec);
  }
  if (!Number.isFinite(x)) s = Number.isNaN(x) ? 'NaN' : 'Inf';
  return padTo(x < 0 ? '-' + s : signed(s, x, spec), spec, true);
}

function fmtString(s: string, verb: string, spec: Spec): string {
  if (spec.prec !== undefined) s = Array.from(s).slice(0, spec.prec).join('');
  switch (verb) {
    case 's':
    case 'v':
      return padTo(s, spec);
    case 'q':
      return padTo(goQuote(s), spec);
    case 'x':
    case 'X': {
      let h = Buffer.from(s, 'utf8').toString('hex');
      if (verb === 'X') h = h.toUpperCase();
      return padTo(h, spec);
    }
  }
  return badVerb(verb, s);
}

function fmtOne(v: unknown, verb: string, spec: Spec): string {
  if (verb === 'T') return padTo(goTypeName(v), spec);
  if (verb === 'v') {
    if (typeof v === 'number') return Number.isInteger(v) ? fmtInteger(v, 'd', spec) : fmtFloatVerb(v, 'g', spec);
    if (v === null || v === undefined || v === NO_VALUE) return padTo('<nil>', spec);
    return padTo(formatValue(v, false), spec);
  }
  if (Array.isArray(v) && verb !== 'T') return padTo('[' + v.map((x) => fmtOne(x, verb, { ...spec, width: undefined })).join(' ') + ']', spec);
  switch (typeof v) {
    case 'string':
      return fmtString(v, verb, spec);
    case 'boolean':
      return verb === 't' ? padTo(v ? 'true' : 'false', spec) : badVerb(verb, v);
    case 'number':
      if (Number.isInteger(v)) {
        if ('dxXob'.includes(verb)) return fmtInteger(v, verb, spec);
        if (verb === 'c') return padTo(String.fromCodePoint(v), spec);
        if (verb === 'q') return padTo(`'${String.fromCodePoint(v)}'`, spec);
        if ('eEfFgG'.includes(verb)) return badVerb(verb, v);
        return badVerb(verb, v);
      }
      if ('eEfFgG'.includes(verb)) return fmtFloatVerb(v, verb, spec);
      return badVerb(verb, v);
  }
  return badVerb(verb, v);
}

/** fmt.Sprintf with Go's verbs, flags, width and precision. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') spec.minus = true;
      else if (f === '+') spec.plus = true;
      else if (f === '#') spec.sharp = true;
      else if (f === ' ') spec.space = true;
      else if (f === '0') spec.zero = !spec.minus;
      else break;
    }
    const num = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'number' ? Math.trunc(a) : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = num();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === '.') {
      i++;
      spec.prec = num() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtOne(args[argi++], verb, spec);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => (a === null || a === undefined || a === NO_VALUE ? '<nil>' : `${goTypeName(a)}=${formatValue(a, false)}`)).join(', ') + ')';
  }
  return out;
}
