// Bundles the CLI into one file: one read and one parse at start, no module
// resolution walk through node_modules on every `mydocker` invocation.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

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
  // Native addons stay in node_modules and load only when a command needs them.
  external: ['koffi', 'node-pty'],
});
chmodSync('dist/mydocker.js', 0o755);
