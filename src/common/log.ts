/**
 * The engine's own log: quiet unless `--debug` or `--log-level` asks for it, written to
 * stderr in logrus' text form as Docker's CLI does (`time=... level=debug msg=...`).
 */
import { writeErr } from './stdio';
const LEVELS = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 } as const;
export type Level = keyof typeof LEVELS;

let threshold: number = LEVELS.warn;

export function configureLog(opts: { debug?: boolean; logLevel?: string }): void {
  if (opts.debug) threshold = LEVELS.debug;
  else if (opts.logLevel && opts.logLevel in LEVELS) threshold = LEVELS[opts.logLevel as Level];
}

export function isLogLevelValid(level: string): boolean {
  return level in LEVELS;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  let line = `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}`;
  for (const [k, v] of Object.entries(fields ?? {})) line += ` ${k}=${JSON.stringify(typeof v === 'bigint' ? v.toString() : v)}`;
  writeErr(line + '\n');
}

export const log = {
  enabled: (level: Level) => LEVELS[level] >= threshold,
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
