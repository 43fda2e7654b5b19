/** Volumes: the -v/--mount/--tmpfs grammar, mount-list checks, the volume store, safe deletion. */
export * from './parse';
export * from './validate';
export * from './store';
export * from './saferm';
export * from './hostenv';
