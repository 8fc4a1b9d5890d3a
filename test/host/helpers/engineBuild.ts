/** Builds the engine process bundle once per test run, the way esbuild.mjs does (cjs, onnxruntime-node external). */
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../helpers/shared';

/** Inside the repo, so the bundle resolves onnxruntime-node from the project's node_modules. */
const OUT_DIR = resolve(REPO_ROOT, 'dist', 'test-engine');

let built: Promise<string> | null = null;

export function buildEngineProcess(): Promise<string> {
  built ??= build({
    entryPoints: { engineProcess: resolve(REPO_ROOT, 'src/engineProcess/main.ts') },
    outdir: OUT_DIR,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['onnxruntime-node'],
    logLevel: 'warning',
  }).then(() => resolve(OUT_DIR, 'engineProcess.js'));
  return built;
}

export const SAMPLE_MODEL = resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx');
