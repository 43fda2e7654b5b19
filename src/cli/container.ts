import { Command } from 'commander';
import { globalRoot } from './main';

/** `mydocker container ...`; `cleanup` is what a container's monitor runs when the CLI is gone. */
export function registerContainer(program: Command): void {
  const container = program.command('container').description('Manage containers');
  container
    .command('cleanup', { hidden: true })
    .argument('<id>')
    .action(async (id: string, _o, cmd: Command) => {
      const { Engine } = await import('../engine/engine');
      const { finalizeContainer } = await import('../engine/teardown');
      // This process is the container's monitor, after it exec'd us: same pid.
      finalizeContainer(new Engine(globalRoot(cmd)), id, undefined, { monitor: process.pid });
    });
}
