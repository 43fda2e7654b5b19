/**
 * Docker's sizes (go-units): decimal units, "%.<p>g" precision, as `ps -s` and
 * `container prune` print them: "0B", "4.86MB", "1e+03kB".
 */

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * The significant decimal digits of |x| rounded to `prec` digits, half to even on an
 * exact tie (as Go's strconv), with trailing zeros dropped; `dp` is the position of the
 * decimal point (x = 0.d1d2... × 10^dp).
 */
function roundedDigits(x: number, prec: number): { digits: string; dp: number } {
  const exact = Math.abs(x).toExponential(100); // "d.ddd…e±E": 101 significant digits
  const m = /^(\d)\.(\d+)e([+-]\d+)$/.exec(exact);
  if (!m) throw new Error(`cannot format ${x}`);
  const all = m[1] + m[2];
  let dp = Number(m[3]) + 1;
  let digits = all.slice(0, prec);
  const rest = all.slice(prec);
  const tie = rest[0] === '5' && /^0*$/.test(rest.slice(1));
  const up = rest[0] > '5' || (rest[0] === '5' && !tie) || (tie && Number(digits[digits.length - 1]) % 2 === 1);
  if (up) {
    const arr = digits.split('').map(Number);
    let i = arr.length - 1;
    while (i >= 0) {
      if (arr[i] < 9) {
        arr[i]++;
        break;
      }
      arr[i] = 0;
      i--;
    }
    if (i < 0) {
      arr.unshift(1);
      arr.pop();
      dp++;
    }
    digits = arr.join('');
  }
  digits = digits.replace(/0+$/, '');
  if (digits === '') return { digits: '0', dp: 1 };
  return { digits, dp };
}

/** Go's fmt "%.<prec>g" of a float64. */
export function formatG(x: number, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (prec < 1) prec = 1;
  const neg = x < 0 || Object.is(x, -0);
  if (x === 0) return neg ? '-0' : '0';
  const { digits, dp } = roundedDigits(x, prec);
  const nd = digits.length;
  let eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  const exp = dp - 1;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    const p = Math.min(prec, nd) - 1;
    const e = Math.abs(exp);
    out = digits[0] + (p > 0 ? '.' + digits.slice(1, p + 1).padEnd(p, '0') : '') + 'e' + (exp < 0 ? '-' : '+') + (e < 10 ? '0' : '') + e;
  } else {
    const p = Math.max((prec > dp ? nd : prec) - dp, 0);
    let int: string;
    let frac: string;
    if (dp <= 0) {
      int = '0';
      frac = '0'.repeat(-dp) + digits;
    } else {
      int = digits.slice(0, dp).padEnd(dp, '0');
      frac = digits.slice(dp);
    }
    frac = frac.padEnd(p, '0').slice(0, p);
    out = int + (p > 0 ? '.' + frac : '');
  }
  return (neg ? '-' : '') + out;
}

/** go-units HumanSizeWithPrecision. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return formatG(size, precision) + DECIMAL_UNITS[i];
}

/** go-units HumanSize: four significant digits. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** The SIZE column of `ps -s`: "2B (virtual 21.5MB)". */
export function containerSizeText(sizeRw: number, sizeRootFs: number): string {
  const rw = humanSizeWithPrecision(sizeRw, 3);
  return sizeRootFs > 0 ? `${rw} (virtual ${humanSizeWithPrecision(sizeRootFs, 3)})` : rw;
}
