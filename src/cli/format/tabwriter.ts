/**
 * Elastic tabstops as Go's text/tabwriter (Docker's fork) lays out tables: cells are
 * separated by '\t', a column is as wide as its widest cell plus padding (at least
 * `minwidth`), and the last cell of a line is never padded. Columns are aligned per
 * block of consecutive lines that have the column, exactly as Go does.
 */

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
  padchar?: string;
}

interface Cell {
  text: string;
  width: number;
  /** terminated by a tab (as opposed to the end of the line) */
  htab: boolean;
}

/** Display width of a character cell: East Asian wide characters count 2, combining marks 0. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c === 0) continue;
    if (isCombining(c)) continue;
    w += isWide(c) ? 2 : 1;
  }
  return w;
}

function isCombining(c: number): boolean {
  return (
    (c >= 0x0300 && c <= 0x036f) ||
    (c >= 0x1ab0 && c <= 0x1aff) ||
    (c >= 0x1dc0 && c <= 0x1dff) ||
    (c >= 0x20d0 && c <= 0x20ff) ||
    (c >= 0xfe20 && c <= 0xfe2f) ||
    c === 0x200b ||
    c === 0x200c ||
    c === 0x200d
  );
}

function isWide(c: number): boolean {
  return (
    (c >= 0x1100 && c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0x303e) ||
    (c >= 0x3041 && c <= 0x33ff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xa000 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) ||
    (c >= 0x20000 && c <= 0x3fffd)
  );
}

/** Lays out `text` (lines of tab-separated cells) as Go's tabwriter with flags 0. */
export function tabwrite(text: string, opts: TabwriterOptions): string {
  const pad = opts.padchar ?? ' ';
  const segments = text.split('\n');
  const lines: Cell[][] = segments.map((seg, i) => {
    const parts = seg.split('\t');
    const cells = parts.map((p, j) => ({ text: p, width: displayWidth(p), htab: j < parts.length - 1 }));
    // The text after the last newline is an unterminated cell: Go keeps it only if non-empty.
    if (i === segments.length - 1 && cells.length > 0 && cells[cells.length - 1].text === '') cells.pop();
    return cells;
  });
  const widths: number[] = [];
  let out = '';

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i];
      line.forEach((c, j) => {
        out += c.text;
        if (j < widths.length) out += pad.repeat(Math.max(0, widths[j] - c.width));
      });
      if (i + 1 < lines.length) out += '\n';
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      // This line starts a block of lines that all have a cell in this column.
      writeLines(line0, t);
      line0 = t;
      let width = opts.minwidth;
      for (; t < line1; t++) {
        const line = lines[t];
        if (column >= line.length - 1) break;
        const w = line[column].width + opts.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}
