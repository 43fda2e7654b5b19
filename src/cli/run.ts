import fs = require('node:fs');
import { Command } from 'commander';
import { UsageError } from '../common/errors';
import { globalRoot } from './main';
import * as resources from './flags/resources';
import * as volumes from './flags/volumes';
import * as security from './flags/security';
import { mark } from '../common/trace';
import { writeOut } from '../common/stdio';

const collect = (v: string, prev: string[] = []) => [...prev, v];

async function readEnvFiles(files: string[] | undefined): Promise<string[]> {
  const lines: string[] = [];
  if (!files?.length) return lines;
  const { parseEnvFile } = await import('../spec/process');
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (e: any) {
      throw new UsageError(`open ${f}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    }
    lines.push(...parseEnvFile(text, f));
  }
  return lines;
}

export function registerRun(program: Command): void {
  const run = program
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
    .option('-d, --detach', 'run the container in the background and print its ID')
    .option('--rm', 'remove the container when it exits')
    .option('--name <name>', 'assign a name to the container')
    .option('-e, --env <KEY=VALUE>', 'set environment variables', collect)
    .option('--env-file <file>', 'read a file of environment variables', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-h, --hostname <name>', 'container host name')
    .option('--entrypoint <cmd>', "overwrite the image's default ENTRYPOINT")
    .option('--read-only', "mount the container's root filesystem as read only")
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])');
  resources.register(run);
  volumes.register(run);
  security.register(run);
  run.action(async (image: string, command: string[], o: any, cmd: Command) => {
    mark('flags parsed');
    const cwd = process.cwd();
    const hostConfig = {
      AutoRemove: !!o.rm,
      ReadonlyRootfs: !!o.readOnly,
      ...resources.toHostConfig(o, cwd),
      ...volumes.toHostConfig(o, cwd),
      ...security.toHostConfig(o, cwd),
    };
    const envFileLines = await readEnvFiles(o.envFile);
    const { Engine } = await import('../engine/engine');
    const { runContainer } = await import('../engine/run');
    const engine = new Engine(globalRoot(cmd));
    process.exitCode = await runContainer(engine, {
      image,
      command,
      interactive: !!o.interactive,
      tty: !!o.tty,
      name: o.name,
      env: o.env ?? [],
      envFileLines,
      workdir: o.workdir,
      hostname: o.hostname,
      entrypoint: o.entrypoint,
      user: o.user,
      hostConfig,
      detach: !!o.detach,
    }, (line) => writeOut(line + '\n'));
  });
}
