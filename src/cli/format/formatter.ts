/**
 * Docker's list formatter (docker/cli formatter.Context): a `--format` string is a
 * Go template run once per row; a "table" format also gets a header row (the same
 * template run over the column names) and elastic-tab alignment; "json" is `{{json .}}`.
 */
import { MydockerError } from '../../common/errors';
import { dockerFuncs, dockerHeaderFuncs, parseTemplate, Template, TemplateExecError, TemplateParseError } from './template';
import { tabwrite } from './tabwriter';

export const TABLE = 'table';
export const JSON_FORMAT = '{{json .}}';

export function isTable(format: string): boolean {
  return format.startsWith(TABLE);
}

/** The template text of a format: "table " dropped, spaces trimmed, \t and \n made real. */
export function templateString(format: string): string {
  if (format === TABLE) return '';
  if (format === 'json') return JSON_FORMAT;
  let out = format.startsWith(TABLE) ? format.slice(TABLE.length) : format;
  out = out.replace(/^ +| +$/g, '');
  return out.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/** A format error is the CLI's own: one line, exit 1 (as docker's). */
export function formatError(prefix: string, e: unknown): MydockerError {
  return new MydockerError(`${prefix}: ${(e as Error).message}`, { exitCode: 1 });
}

export function parseOrFail(src: string, prefix = 'template parsing error'): Template {
  try {
    return parseTemplate(src, dockerFuncs);
  } catch (e) {
    if (e instanceof TemplateParseError) throw formatError(prefix, e);
    throw e;
  }
}

export interface RenderOptions {
  /** the header row's data: field name -> column name (with a Label method, as Docker's) */
  header: Record<string, string>;
}

/** Docker's SubHeaderContext: the column names, and `.Label "a.b-c"` gives "b c". */
export function headerContext(names: Record<string, string>): Record<string, unknown> {
  const h: Record<string, unknown> = { ...names };
  Object.defineProperty(h, 'Label', {
    enumerable: false,
    value: (name: string) => {
      const parts = String(name).split('.');
      return parts[parts.length - 1].replace(/[-_]/g, ' ');
    },
  });
  return h;
}

/** Renders rows with a format: the text to print (every row ends with a newline). */
export function renderList(format: string, rows: readonly unknown[], opts: RenderOptions): string {
  const tmpl = parseOrFail(templateString(format));
  let body = '';
  for (const row of rows) {
    try {
      body += tmpl.execute(row);
    } catch (e) {
      if (e instanceof TemplateExecError) throw formatError('template parsing error', e);
      throw e;
    }
    body += '\n';
  }
  if (!isTable(format)) return body;
  let header = '';
  try {
    header = tmpl.execute(headerContext(opts.header), { funcs: dockerHeaderFuncs });
  } catch (e) {
    // As Docker: a header that cannot be rendered is left as far as it got.
    if (!(e instanceof TemplateExecError)) throw e;
  }
  return tabwrite(header + '\n' + body, { minwidth: 10, padding: 3 });
}
