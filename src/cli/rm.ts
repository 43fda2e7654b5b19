/**
 * `rm [-f] [-v] CONTAINER...`: prints each name as given once it is removed; every
 * failure is one line on stderr and the exit code is 1 if any failed (docker's daemon
 * errors). With -f a running container is killed first and an unknown name is no error.
 */
import { Command } from 'commander';
import { isMydockerError } from '../common/errors';
import { globalRoot } from './main';
import { writeOut, writeErr } from '../common/stdio';

interface RmFlags {
  force?: boolean;
  volumes?: boolean;
}

export async function runRm(cmd: Command, refs: string[], o: RmFlags): Promise<void> {
  const { Engine } = await import('../engine/engine');
  const { removeByRef } = await import('../engine/remove');
  const engine = new Engine(globalRoot(cmd));
  // As docker, the containers are removed in parallel (a forced removal mostly waits
  // for the container's end to be recorded); names are printed in the order given.
  const results = await Promise.all(
    refs.map(async (ref): Promise<{ removed: boolean; error?: string }> => {
      const id = ref.replace(/^\/+|\/+$/g, '');
      if (id === '') return { removed: false, error: 'container name cannot be empty' };
      try {
        return { removed: await removeByRef(engine, id, { force: !!o.force, volumes: !!o.volumes }) };
      } catch (e) {
        if (!isMydockerError(e)) throw e;
        return { removed: false, error: e.message };
      }
    }),
  );
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.removed) writeOut(refs[i] + '\n');
    if (r.error) errors.push(r.error);
  });
  for (const line of errors) writeErr(`mydocker: ${line}\n`);
  if (errors.length) process.exitCode = 1;
}

export function registerRm(parent: Command, opts: { name?: string; aliases?: string[] } = {}): Command {
  const c = parent
    .command(opts.name ?? 'rm')
    .description('Remove one or more containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .option('-f, --force', 'force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'remove anonymous volumes associated with the container');
  if (opts.aliases?.length) c.aliases(opts.aliases);
  c.action(async (refs: string[], o: RmFlags, cmd: Command) => {
    await runRm(cmd, refs, o);
  });
  return c;
}
