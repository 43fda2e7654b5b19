/**
 * Security as plain data: capabilities, seccomp (Docker's profile format and a compiler
 * to classic BPF), masked and read-only paths, users and groups, resource limits, and
 * the plan of one container process (`buildSecurityPlan`). Pure: host facts are passed in.
 *
 * This is the whole API. Code on the path of every `run` imports the light modules
 * directly (build, capabilities, user, rlimits): this index also loads the compiler and
 * the system call tables.
 */
export * from './capabilities';
export * from './seccomp';
export { DEFAULT_SECCOMP_PROFILE, CLONE_NAMESPACE_FLAGS } from './seccomp-default';
export * from './paths';
export * from './user';
export * from './rlimits';
export * from './build';

