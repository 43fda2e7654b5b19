/**
 * The CLI: flag parsing and output only. Every verb is a thin layer over src/engine.
 * Errors print one line on stderr and exit with Docker's code (125 for the engine's own).
 */
import { Command, CommanderError } from 'commander';
import { isMydockerError, UsageError } from '../common/errors';
import { configureLog, isLogLevelValid } from '../common/log';
import { resolveRoot } from '../state/paths';
import { writeErr, writeOut } from '../common/stdio';
import { version } from '../../package.json';

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

type Registrar = (program: Command) => void;

/*
 * Each verb's module is required only when that verb runs (or for help): a command
 * pays the load cost of its own code, not of the whole CLI.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const lifecycle: Registrar = (p) => require('./lifecycle').registerLifecycle(p);
const REGISTRARS: Record<string, Registrar> = {
  run: (p) => require('./run').registerRun(p),
  container: (p) => {
    require('./container').registerContainer(p);
    const container = p.commands.find((c) => c.name() === 'container') as Command;
    require('./ps').registerPs(container, { name: 'ls', aliases: ['ps', 'list'] });
    require('./inspect').registerInspect(container, { type: 'container' });
    require('./rm').registerRm(container, { aliases: ['remove'] });
    require('./rename').registerRename(container);
    require('./top').registerTop(container);
    require('./prune').registerPrune(container);
  },
  stop: lifecycle,
  kill: lifecycle,
  start: lifecycle,
  restart: lifecycle,
  wait: lifecycle,
  exec: lifecycle,
  logs: lifecycle,
  stats: (p) => require('./stats').registerStats(p),
  volume: (p) => require('./volume').registerVolume(p),
  ps: (p) => require('./ps').registerPs(p),
  inspect: (p) => require('./inspect').registerInspect(p),
  rm: (p) => require('./rm').registerRm(p),
  rename: (p) => require('./rename').registerRename(p),
  top: (p) => require('./top').registerTop(p),
};
/* eslint-enable @typescript-eslint/no-var-requires */

function registrarsFor(verb: string | undefined): Registrar[] {
  const one = verb !== undefined ? REGISTRARS[verb] : undefined;
  if (one) return [one];
  return [...new Set(Object.values(REGISTRARS))];
}

/** The verb of a command line: the first word that is not a global option or its value. */
export function verbOf(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--root' || a === '-l' || a === '--log-level') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export function buildProgram(verb?: string): Command {
  const program = new Command('mydocker');
  program
    .description('A daemonless, Docker-compatible container engine')
    .option('--root <dir>', 'engine state directory (default /var/lib/mydocker, or $MYDOCKER_ROOT)')
    .option('-D, --debug', 'enable debug output')
    .option('-l, --log-level <level>', 'log level (debug, info, warn, error)', 'warn')
    // Docker's form: "Docker version 28.2.2, build e6534b4"
    .version(`mydocker version ${version}`, '-v, --version', 'print version information and quit')
    .helpOption('--help', 'print usage')
    .enablePositionalOptions()
    .showSuggestionAfterError(false)
    .configureOutput({ outputError: () => {}, writeOut, writeErr })
    .exitOverride()
    .hook('preAction', (_cmd, action) => {
      const g = action.optsWithGlobals() as GlobalOptions;
      if (g.logLevel && !isLogLevelValid(g.logLevel)) throw new UsageError(`Unable to parse logging level: ${g.logLevel}`);
      configureLog(g);
    });
  for (const register of registrarsFor(verb)) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(verbOf(argv));
  for (const c of program.commands) c.exitOverride().configureOutput({ outputError: () => {}, writeOut, writeErr });
  try {
    await program.parseAsync(argv);
    return (process.exitCode as number | undefined) ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      writeErr(`mydocker: ${flagError(e)}\n`);
      return 125;
    }
    if (isMydockerError(e)) {
      writeErr(`mydocker: ${e.message}\n`);
      if (process.argv.includes('--debug') && e.cause) writeErr(String((e.cause as Error).stack ?? e.cause) + '\n');
      return e.exitCode;
    }
    const err = e as Error;
    writeErr(`mydocker: ${err.message}\n`);
    if (process.argv.includes('--debug') || process.argv.includes('-D')) writeErr(String(err.stack) + '\n');
    return 125;
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      writeErr(`mydocker: ${(e as Error).message}\n`);
      process.exitCode = 125;
    },
  );
}
