/**
 * `inspect [-f FORMAT] [-s] [--type TYPE] NAME|ID...`: Docker-shaped JSON (an array,
 * indented by four spaces), or a Go template per object. Names are containers first,
 * then images and volumes (as `docker inspect` looks them up); `container inspect`
 * knows only containers.
 *
 * Exit codes as docker's: 64 for a template that does not parse (nothing is looked
 * up), 1 when a name is unknown or the template fails on an object (the objects found
 * are still printed).
 */
import { Command } from 'commander';
import { MydockerError, NotFoundError, UsageError } from '../common/errors';
import { globalRoot } from './main';
import { writeOut, writeErr } from '../common/stdio';

const TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

export interface InspectCommandOptions {
  /** the command's name (default "inspect") */
  name?: string;
  /** only this kind of object (`container inspect`) */
  type?: 'container';
}

async function engineOf(cmd: Command) {
  const { Engine } = await import('../engine/engine');
  return new Engine(globalRoot(cmd));
}

/** Finds one object; undefined when there is none (the caller words the error). */
async function lookup(engine: import('../engine/engine').Engine, ref: string, type: string | undefined, size: boolean): Promise<unknown | undefined> {
  const { resolveFresh } = await import('../engine/query');
  const view = await import('./format/inspect-view');
  if (!type || type === 'container') {
    try {
      return view.containerView(engine, await resolveFresh(engine, ref), { size });
    } catch (e) {
      // not a container: try the other kinds, as docker does (an ambiguous prefix is an error)
      if (!(e instanceof NotFoundError) || type === 'container') throw e;
    }
  }
  if (!type || type === 'image') {
    let img;
    try {
      img = engine.images.lookup(ref);
    } catch {
      img = undefined;
    }
    if (img) return view.imageView(img);
  }
  if (!type || type === 'volume') {
    const { openVolumeStore, toInspect } = await import('../volume/store');
    const v = openVolumeStore(engine.paths).find(ref);
    if (v) return view.volumeView(toInspect(v) as unknown as Record<string, unknown>);
  }
  return undefined;
}

export async function runInspect(cmd: Command, refs: string[], o: { format?: string; size?: boolean; type?: string }, only?: 'container'): Promise<void> {
  const type = only ?? o.type;
  if (o.type !== undefined && !only) {
    if (o.type === '') throw new UsageError(`type is empty: must be one of "${TYPES.join('", "')}"`);
    if (!TYPES.includes(o.type)) throw new UsageError(`unknown type: "${o.type}": must be one of "${TYPES.join('", "')}"`);
  }
  const format = o.format ?? '';
  const { parseTemplate, dockerFuncs, TemplateParseError, TemplateExecError } = await import('./format/template');
  const { goJson } = await import('./format/json');
  let tmpl: import('./format/template').Template | undefined;
  if (format !== '' && format !== 'json') {
    try {
      tmpl = parseTemplate(format, dockerFuncs);
    } catch (e) {
      if (e instanceof TemplateParseError) throw new MydockerError(`template parsing error: ${e.message}`, { exitCode: 64 });
      throw e;
    }
  }
  const engine = await engineOf(cmd);
  const found: unknown[] = [];
  const errors: string[] = [];
  let out = '';
  for (const ref of refs) {
    let obj: unknown;
    try {
      obj = await lookup(engine, ref, type, !!o.size);
    } catch (e) {
      if (e instanceof MydockerError) {
        errors.push(e.message);
        continue;
      }
      throw e;
    }
    if (obj === undefined) {
      errors.push(type === 'container' ? `Error response from daemon: No such container: ${ref}` : type ? `Error: No such ${type}: ${ref}` : `Error: No such object: ${ref}`);
      continue;
    }
    if (!tmpl) {
      found.push(obj);
      continue;
    }
    try {
      out += tmpl.execute(obj, { missingKey: 'error' }) + '\n';
    } catch (e) {
      if (e instanceof TemplateExecError) errors.push(`template parsing error: ${e.message}`);
      else throw e;
    }
  }
  if (tmpl) writeOut(out === '' ? '\n' : out);
  else if (found.length === 0) writeOut('[]\n');
  else writeOut(goJson(found, { indent: format === 'json' ? '' : '    ', escapeHTML: true }) + '\n');
  if (errors.length) {
    for (const line of errors) writeErr(`mydocker: ${line}\n`);
    process.exitCode = 1;
  }
}

/** Registers `inspect` (or `container inspect` with `{ type: 'container' }`). */
export function registerInspect(parent: Command, opts: InspectCommandOptions = {}): Command {
  const c = parent
    .command(opts.name ?? 'inspect')
    .description(opts.type ? 'Display detailed information on one or more containers' : 'Return low-level information on Docker objects')
    .usage(opts.type ? '[OPTIONS] CONTAINER [CONTAINER...]' : '[OPTIONS] NAME|ID [NAME|ID...]')
    .argument('<names...>')
    .option('-f, --format <format>', 'format output using a custom template')
    .option('-s, --size', 'display total file sizes');
  if (!opts.type) c.option('--type <type>', 'only inspect objects of the given type');
  c.action(async (refs: string[], o: { format?: string; size?: boolean; type?: string }, cmd: Command) => {
    await runInspect(cmd, refs, o, opts.type);
  });
  return c;
}
