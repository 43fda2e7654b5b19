import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { UsageError } from '../common/errors';
import { globalRoot } from './main';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Create and run a new container from an image')
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .helpOption('--help', 'print usage')
    .argument('<image>')
    .argument('[command...]')
    // Everything after IMAGE belongs to the container, flags included.
    .passThroughOptions()
    .option('-i, --interactive', 'keep STDIN open')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('--rm', 'remove the container when it exits')
    .option('--name <name>', 'assign a name to the container')
    .option('-e, --env <KEY=VALUE>', 'set environment variables', collect)
    .option('--env-file <file>', 'read a file of environment variables', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-h, --hostname <name>', 'container host name')
    .option('--entrypoint <cmd>', "overwrite the image's default ENTRYPOINT")
    .option('--read-only', "mount the container's root filesystem as read only")
    .addOption(new Option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])'))
    .action(async (image: string, command: string[], o: any, cmd: Command) => {
      const envFileLines: string[] = [];
      if (o.envFile?.length) {
        const { parseEnvFile } = await import('../spec/process');
        for (const f of o.envFile as string[]) {
          let text: string;
          try {
            text = fs.readFileSync(f, 'utf8');
          } catch (e: any) {
            throw new UsageError(`open ${f}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
          }
          envFileLines.push(...parseEnvFile(text, f));
        }
      }
      const { Engine } = await import('../engine/engine');
      const { runForeground } = await import('../engine/run');
      const engine = new Engine(globalRoot(cmd));
      process.exitCode = await runForeground(engine, {
        image,
        command,
        interactive: !!o.interactive,
        tty: !!o.tty,
        rm: !!o.rm,
        name: o.name,
        env: o.env ?? [],
        envFileLines,
        workdir: o.workdir,
        hostname: o.hostname,
        entrypoint: o.entrypoint,
        readOnly: !!o.readOnly,
        user: o.user,
      });
    });
}
