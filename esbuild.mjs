// Bundles the CLI, the benchmark and (later) the extension host and webview code into dist/.
// onnxruntime-node stays external: it ships a native binding that must be loaded from node_modules.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const minify = process.argv.includes('--minify');
const watch = process.argv.includes('--watch');

const nodeEntries = [
  { in: 'src/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node' },
  { in: 'bench/bench.ts', out: 'bench' },
  { in: 'src/extension.ts', out: 'extension', external: ['vscode'] },
].filter((e) => existsSync(e.in));

const builds = nodeEntries.map((e) => ({
  entryPoints: { [e.out]: e.in },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !minify,
  minify,
  external: ['onnxruntime-node', ...(e.external ?? [])],
  banner: e.banner ? { js: e.banner } : undefined,
  logLevel: 'warning',
}));

if (existsSync('webview/main.ts')) {
  builds.push({
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !minify,
    minify,
    logLevel: 'warning',
  });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
