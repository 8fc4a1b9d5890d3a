// Builds every bundle into dist/, and (with --package) the platform-specific .vsix.
//   node esbuild.mjs [--minify] [--watch]
//   node esbuild.mjs --package [--target linux-x64|linux-arm64|darwin-arm64|win32-x64|win32-arm64]
// onnxruntime-node stays external everywhere: it ships a native binding that must be loaded from
// node_modules, and only the engine process (and the CLI/bench) may load it — never the extension host.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const minify = args.includes('--minify');
const watch = args.includes('--watch');

const nodeEntries = [
  { in: 'src/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node' },
  { in: 'bench/bench.ts', out: 'bench' },
  // The banner marks when the bundle starts loading, so the reported activation time includes it.
  {
    in: 'src/extension/extension.ts',
    out: 'extension',
    external: ['vscode'],
    banner: 'var __robustnessLensLoadStart = performance.now();',
  },
  { in: 'src/engineProcess/main.ts', out: 'engineProcess' },
].filter((e) => existsSync(e.in));

function nodeBuild(entry, outdir = 'dist', minified = minify) {
  return {
    entryPoints: { [entry.out]: entry.in },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: !minified,
    minify: minified,
    external: ['onnxruntime-node', ...(entry.external ?? [])],
    banner: entry.banner ? { js: entry.banner } : undefined,
    logLevel: 'warning',
  };
}

const WEBVIEW_ENTRY = 'webview/src/main.ts';

/**
 * The panel's bundle: dist/webview.js and (main.ts imports its stylesheet) dist/webview.css. Exported for the
 * tests of the HTML report, which inlines it (they build it into a folder of their own).
 */
export function webviewBuild(outdir = 'dist', minified = minify) {
  return {
    entryPoints: { webview: fileURLToPath(new URL(WEBVIEW_ENTRY, import.meta.url)) },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !minified,
    minify: minified,
    logLevel: 'warning',
  };
}

function allBuilds() {
  const builds = nodeEntries.map((e) => nodeBuild(e));
  if (existsSync(WEBVIEW_ENTRY)) builds.push(webviewBuild());
  return builds;
}

// ---- packaging ----

/** onnxruntime-node's per-platform binary folders (bin/napi-v6/<os>/<cpu>). */
const ORT_PLATFORMS = ['darwin/arm64', 'darwin/x64', 'linux/arm64', 'linux/x64', 'win32/arm64', 'win32/x64'];
const MAX_VSIX_BYTES = 20 * 1024 * 1024;

function packageVsix() {
  const k = args.indexOf('--target');
  const target = k >= 0 ? args[k + 1] : 'linux-x64';
  const own = target?.replace('-', '/');
  if (!target || !ORT_PLATFORMS.includes(own)) {
    throw new Error(`--target ${target ?? '(missing)'}: expected one of ${ORT_PLATFORMS.map((p) => p.replace('/', '-')).join(', ')}`);
  }
  if (!existsSync(`node_modules/onnxruntime-node/bin/napi-v6/${own}`)) {
    throw new Error(
      `--target ${target}: onnxruntime-node ships no binary for ${own} (node_modules/onnxruntime-node/bin/napi-v6/${own} is missing)`,
    );
  }
  // .vscodeignore is written for linux-x64; for any target, swap its binary exclusions for that target's.
  const base = readFileSync('.vscodeignore', 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('node_modules/onnxruntime-node/bin/'));
  const exclusions = ORT_PLATFORMS.filter((p) => p !== own).map((p) => `node_modules/onnxruntime-node/bin/napi-v*/${p}/**`);
  // npm unpacks the macOS dylib's version symlink as a second 44 MB copy; the binding loads only
  // @rpath/libonnxruntime.1.dylib.
  if (own.startsWith('darwin/')) exclusions.push(`node_modules/onnxruntime-node/bin/napi-v*/${own}/libonnxruntime.*.*.*.dylib`);
  const dir = mkdtempSync(join(tmpdir(), 'rl-package-'));
  const ignoreFile = join(dir, 'vscodeignore');
  writeFileSync(ignoreFile, [...base, ...exclusions, ''].join('\n'));
  const out = `dist/robustness-lens-${target}.vsix`;
  try {
    const r = spawnSync('node_modules/.bin/vsce', ['package', '--target', target, '--ignoreFile', ignoreFile, '-o', out], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error(`vsce package failed (exit ${r.status ?? r.signal})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const size = statSync(out).size;
  console.log(`${out}: ${(size / 1024 / 1024).toFixed(1)} MB (${size} bytes; limit ${MAX_VSIX_BYTES / 1024 / 1024} MB)`);
  if (size > MAX_VSIX_BYTES) throw new Error(`${out} is larger than ${MAX_VSIX_BYTES / 1024 / 1024} MB`);
}

// Run as a script (not imported by a test for webviewBuild).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (args.includes('--package')) {
    packageVsix();
  } else if (watch) {
    for (const b of allBuilds()) await (await esbuild.context(b)).watch();
  } else {
    await Promise.all(allBuilds().map((b) => esbuild.build(b)));
  }
}
