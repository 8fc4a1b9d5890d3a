/**
 * Child-process side of the fuzz test: mutates valid models and images for a time budget and feeds them
 * to loadModel + describeModel and decodeImage + rasterToPixels. Before each case it prints a heartbeat
 * line, so the parent can tell a hang (and which case) from slow progress; at the end one summary line.
 * Arguments (JSON on argv[2]): FuzzConfig.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeImage } from '../../../src/engine/data/decodeImage';
import { rasterToPixels } from '../../../src/engine/data/pixels';
import { isEngineError } from '../../../src/engine/errors';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { describeModel } from '../../../src/engine/onnx/modelInfo';
import { Rng } from '../../../src/engine/util/random';
import { mutate } from './mutate';

export interface FuzzConfig {
  seed: number;
  budgetMs: number;
  models: string[];
  images: string[];
  outDir: string;
  /** How many mutated models that still load to keep for the session check. */
  keepForSessions: number;
}

export interface FuzzSummary {
  cases: number;
  /** 'model ok', 'model MODEL_INVALID', 'image IMAGE_INVALID', … → count. */
  outcomes: Record<string, number>;
  /** Cases that broke the contract: not an EngineError, or a message without the file name. */
  failures: string[];
  kept: string[];
  slowestMs: number;
}

const config = JSON.parse(process.argv[2]) as FuzzConfig;
const rng = new Rng(config.seed);
const models = config.models.map((p) => ({ name: basename(p), bytes: new Uint8Array(readFileSync(p)) }));
const images = config.images.map((p) => ({ name: basename(p), bytes: new Uint8Array(readFileSync(p)) }));
const summary: FuzzSummary = { cases: 0, outcomes: {}, failures: [], kept: [], slowestMs: 0 };
const count = (k: string) => {
  summary.outcomes[k] = (summary.outcomes[k] ?? 0) + 1;
};

function judge(kind: 'model' | 'image', e: unknown, file: string, what: string): void {
  if (isEngineError(e) && e.message.includes(file)) count(`${kind} ${e.code}`);
  else {
    count(`${kind} CONTRACT BROKEN`);
    summary.failures.push(
      `${what}: ${isEngineError(e) ? `${e.code} without the file name: ${e.message}` : `not an EngineError: ${(e as Error)?.stack ?? String(e)}`}`,
    );
  }
}

async function main(): Promise<void> {
  const end = Date.now() + config.budgetMs;
  const modelFile = join(config.outDir, 'fuzz.onnx');
  const imageFile = join(config.outDir, 'fuzz-image');
  for (let i = 0; Date.now() < end; i++) {
    const isModel = i % 2 === 0;
    const src = isModel ? models[rng.int(models.length)] : images[rng.int(images.length)];
    const { bytes, done } = mutate(src.bytes, rng);
    const what = `case ${i} (seed ${config.seed}): ${src.name} + ${done.join(', ')}`;
    process.stdout.write(`${JSON.stringify({ heartbeat: i, what })}\n`);
    summary.cases++;
    const started = performance.now();
    if (isModel) {
      writeFileSync(modelFile, bytes);
      try {
        describeModel(await loadModel(modelFile));
        count('model ok');
        if (summary.kept.length < config.keepForSessions && rng.next() < 0.5) {
          const keep = join(config.outDir, `session-${i}.onnx`);
          copyFileSync(modelFile, keep);
          summary.kept.push(keep);
        }
      } catch (e) {
        judge('model', e, modelFile, what);
      }
    } else {
      try {
        const raster = decodeImage(bytes, imageFile);
        rasterToPixels(raster, { height: 8, width: 8, channels: 'rgb', resize: 'stretch', filter: 'bilinear' }, imageFile);
        count('image ok');
      } catch (e) {
        judge('image', e, imageFile, what);
      }
    }
    summary.slowestMs = Math.max(summary.slowestMs, performance.now() - started);
  }
  process.stdout.write(`${JSON.stringify({ summary })}\n`);
}

void main();
