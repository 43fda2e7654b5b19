// Bundles the CLI into one file: one read and one parse at start, no module
// resolution walk through node_modules on every `mydocker` invocation.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

// commander requires child_process at load, for executable subcommands, which this CLI
// does not have. Loading child_process (with net, dgram and the stream modules) costs a
// few milliseconds on every command; only the verbs that start the helper need it. So
// commander gets it through a proxy that loads it on first use.
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy-child-process', namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/mydocker.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // node-pty (tests only) stays in node_modules; our own addon is loaded by path (src/runtime/native.ts).
  external: ['node-pty'],
  plugins: [lazyChildProcessForCommander],
});
chmodSync('dist/mydocker.js', 0o755);
// The code caches belong to the previous bundle (bin/mydocker also keys them by its size and mtime).
rmSync('dist/.cache', { recursive: true, force: true });
