/** Verbs on existing containers: stop, kill, start, restart, wait, exec, logs. */
import { Command } from 'commander';
import { isMydockerError, UsageError } from '../common/errors';
import { globalRoot } from './main';
import { writeOut, writeErr } from '../common/stdio';

const collect = (v: string, prev: string[] = []) => [...prev, v];

async function engineOf(cmd: Command) {
  const { Engine } = await import('../engine/engine');
  return new Engine(globalRoot(cmd));
}

/**
 * Docker's multi-container verbs: each name is tried, the ones that worked are printed,
 * every failure is one line on stderr, and the exit code is 1 if any failed.
 */
async function eachContainer(refs: string[], fn: (ref: string) => Promise<void>): Promise<void> {
  let failed = false;
  for (const ref of refs) {
    try {
      await fn(ref);
      writeOut(ref + '\n');
    } catch (e) {
      if (!isMydockerError(e)) throw e;
      writeErr(`mydocker: ${e.message}\n`);
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
}

function seconds(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new UsageError(`invalid argument "${v}" for "-t, --time" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

export function registerLifecycle(program: Command): void {
  program
    .command('stop')
    .description('Stop one or more running containers')
    .argument('<containers...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing the container', seconds)
    .option('-s, --signal <signal>', 'signal to send to the container')
    .action(async (refs: string[], o: { time?: number }, cmd: Command) => {
      const { stopContainer } = await import('../engine/lifecycle');
      const engine = await engineOf(cmd);
      await eachContainer(refs, (ref) => stopContainer(engine, ref, o.time));
    });

  program
    .command('kill')
    .description('Kill one or more running containers')
    .argument('<containers...>')
    .option('-s, --signal <signal>', 'signal to send to the container', 'KILL')
    .action(async (refs: string[], o: { signal: string }, cmd: Command) => {
      const { killContainer, parseSignal } = await import('../engine/lifecycle');
      parseSignal(o.signal);
      const engine = await engineOf(cmd);
      await eachContainer(refs, (ref) => killContainer(engine, ref, o.signal));
    });

  program
    .command('start')
    .description('Start one or more stopped containers')
    .argument('<containers...>')
    .option('-a, --attach', "attach STDOUT/STDERR and forward signals")
    .option('-i, --interactive', "attach container's STDIN")
    .action(async (refs: string[], o: { attach?: boolean; interactive?: boolean }, cmd: Command) => {
      const { startExisting } = await import('../engine/lifecycle');
      const engine = await engineOf(cmd);
      const attach = !!(o.attach || o.interactive);
      if (attach) {
        if (refs.length > 1) throw new UsageError('you cannot start and attach multiple containers at once');
        process.exitCode = await startExisting(engine, refs[0], { attach: true, interactive: !!o.interactive });
        return;
      }
      await eachContainer(refs, async (ref) => {
        await startExisting(engine, ref, { attach: false, interactive: false });
      });
    });

  program
    .command('restart')
    .description('Restart one or more containers')
    .argument('<containers...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing the container', seconds)
    .action(async (refs: string[], o: { time?: number }, cmd: Command) => {
      const { restartContainer } = await import('../engine/lifecycle');
      const engine = await engineOf(cmd);
      await eachContainer(refs, (ref) => restartContainer(engine, ref, o.time));
    });

  program
    .command('wait')
    .description('Block until one or more containers stop, then print their exit codes')
    .argument('<containers...>')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      const { waitContainer } = await import('../engine/lifecycle');
      const engine = await engineOf(cmd);
      let failed = false;
      for (const ref of refs) {
        try {
          writeOut(`${await waitContainer(engine, ref)}\n`);
        } catch (e) {
          if (!isMydockerError(e)) throw e;
          writeErr(`mydocker: ${e.message}\n`);
          failed = true;
        }
      }
      if (failed) process.exitCode = 1;
    });

  program
    .command('exec')
    .description('Execute a command in a running container')
    .usage('[OPTIONS] CONTAINER COMMAND [ARG...]')
    .argument('<container>')
    .argument('[command...]')
    .passThroughOptions()
    .option('-i, --interactive', 'keep STDIN open')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-d, --detach', 'run the command in the background')
    .option('-e, --env <KEY=VALUE>', 'set environment variables', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .action(async (ref: string, command: string[], o: any, cmd: Command) => {
      const { execInContainer } = await import('../engine/lifecycle');
      const engine = await engineOf(cmd);
      process.exitCode = await execInContainer(engine, ref, {
        command,
        interactive: !!o.interactive,
        tty: !!o.tty,
        detach: !!o.detach,
        env: o.env ?? [],
        workdir: o.workdir,
        user: o.user,
      });
    });

  program
    .command('logs')
    .description('Fetch the logs of a container')
    .argument('<container>')
    .option('-f, --follow', 'follow log output')
    .option('-n, --tail <lines>', 'number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'show logs since a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)')
    .option('--until <time>', 'show logs before a timestamp or relative')
    .action(async (ref: string, o: any, cmd: Command) => {
      const { streamLogs } = await import('../engine/lifecycle');
      const engine = await engineOf(cmd);
      await streamLogs(engine, ref, { follow: !!o.follow, tail: o.tail, timestamps: !!o.timestamps, since: o.since, until: o.until }, {
        stdout: (s) => writeOut(s),
        stderr: (s) => writeErr(s),
      });
    });
}
