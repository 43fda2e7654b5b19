/**
 * Typed errors. Every error a user can see carries the one line to print and the
 * exit code Docker would use; `cause` keeps the underlying error for --debug.
 */
export class MydockerError extends Error {
  readonly exitCode: number;
  constructor(message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? 125;
  }
}

/** Bad input from the user: flags, names, references, paths. Exit 125. */
export class UsageError extends MydockerError {}

/** A named object (image, container, volume) that does not exist. Exit 125 (1 for some verbs). */
export class NotFoundError extends MydockerError {}

/** A name or resource already taken. Exit 125. */
export class ConflictError extends MydockerError {}

/** The runtime could not start the container's process (126 cannot execute, 127 not found). */
export class StartError extends MydockerError {}

export function isMydockerError(e: unknown): e is MydockerError {
  return e instanceof MydockerError;
}
