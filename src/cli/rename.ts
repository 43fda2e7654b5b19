/** `rename CONTAINER NEW_NAME`. */
import { Command } from 'commander';
import { globalRoot } from './main';

export function registerRename(parent: Command): Command {
  return parent
    .command('rename')
    .description('Rename a container')
    .usage('CONTAINER NEW_NAME')
    .argument('<container>')
    .argument('<new_name>')
    .action(async (oldName: string, newName: string, _o: unknown, cmd: Command) => {
      const { Engine } = await import('../engine/engine');
      const { renameContainer } = await import('../engine/rename');
      await renameContainer(new Engine(globalRoot(cmd)), oldName, newName);
    });
}
