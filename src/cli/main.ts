/**
 * The CLI: flag parsing and output only. Every verb is a thin layer over src/engine.
 * Errors print one line on stderr and exit with Docker's code (125 for the engine's own).
 */
import { Command, CommanderError } from 'commander';
import { isMydockerError, UsageError } from '../common/errors';
import { configureLog, isLogLevelValid } from '../common/log';
import { resolveRoot } from '../state/paths';
import { registerRun } from './run';
import { registerContainer } from './container';
import { registerLifecycle } from './lifecycle';
import { registerStats } from './stats';
import { registerVolume } from './volume';
import { registerPs } from './ps';
import { registerInspect } from './inspect';
import { registerRm } from './rm';
import { registerRename } from './rename';
import { registerTop } from './top';
import { registerPrune } from './prune';

export interface GlobalOptions {
  root?: string;
  debug?: boolean;
  logLevel?: string;
}

export function globalRoot(cmd: Command): string {
  const g = cmd.optsWithGlobals() as GlobalOptions;
  return resolveRoot(g.root);
}

export function debugEnabled(cmd?: Command): boolean {
  const g = (cmd?.optsWithGlobals() ?? {}) as GlobalOptions;
  return !!g.debug || g.logLevel === 'debug';
}

/** Docker's wording for flag errors. */
function flagError(e: CommanderError): string {
  const m = /'([^']+)'/.exec(e.message);
  switch (e.code) {
    case 'commander.unknownOption':
      return `unknown flag: ${m ? m[1] : e.message}`;
    case 'commander.optionMissingArgument':
      return `flag needs an argument: ${m ? m[1].split(/[ ,]+/).pop() : e.message}`;
    case 'commander.unknownCommand':
      return `unknown command: ${m ? m[1] : e.message}`;
    default:
      return e.message.replace(/^error: /, '');
  }
}

export function buildProgram(): Command {
  const program = new Command('mydocker');
  program
    .description('A daemonless, Docker-compatible container engine')
    .option('--root <dir>', 'engine state directory (default /var/lib/mydocker, or $MYDOCKER_ROOT)')
    .option('-D, --debug', 'enable debug output')
    .option('-l, --log-level <level>', 'log level (debug, info, warn, error)', 'warn')
    .helpOption('--help', 'print usage')
    .enablePositionalOptions()
    .showSuggestionAfterError(false)
    .configureOutput({ outputError: () => {} })
    .exitOverride()
    .hook('preAction', (_cmd, action) => {
      const g = action.optsWithGlobals() as GlobalOptions;
      if (g.logLevel && !isLogLevelValid(g.logLevel)) throw new UsageError(`Unable to parse logging level: ${g.logLevel}`);
      configureLog(g);
    });
  registerRun(program);
  registerContainer(program);
  registerLifecycle(program);
  registerStats(program);
  registerVolume(program);
  registerPs(program);
  registerInspect(program);
  registerRm(program);
  registerRename(program);
  registerTop(program);
  {
    const container = program.commands.find((c) => c.name() === 'container') as Command;
    registerPs(container, { name: 'ls', aliases: ['ps', 'list'] });
    registerInspect(container, { type: 'container' });
    registerRm(container, { aliases: ['remove'] });
    registerRename(container);
    registerTop(container);
    registerPrune(container);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  for (const c of program.commands) c.exitOverride().configureOutput({ outputError: () => {} });
  try {
    await program.parseAsync(argv);
    return (process.exitCode as number | undefined) ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      process.stderr.write(`mydocker: ${flagError(e)}\n`);
      return 125;
    }
    if (isMydockerError(e)) {
      process.stderr.write(`mydocker: ${e.message}\n`);
      if (process.argv.includes('--debug') && e.cause) process.stderr.write(String((e.cause as Error).stack ?? e.cause) + '\n');
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`mydocker: ${err.message}\n`);
    if (process.argv.includes('--debug') || process.argv.includes('-D')) process.stderr.write(String(err.stack) + '\n');
    return 125;
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`mydocker: ${(e as Error).message}\n`);
      process.exitCode = 125;
    },
  );
}
