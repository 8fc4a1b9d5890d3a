/**
 * The extension host's side of a run on a 224×224×3 model: this process drives the engine process through
 * EngineClient exactly as the extension does, and measures its own event-loop delay while an analyse runs,
 * with the size of every message it had to parse. The images are seeded noise, each filed under the class
 * the random-weight ResNet-18 predicts for it, so every image is "correctly classified" and gets attacked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { encodePng } from '../src/engine/attacks/gallery';
import { prepareModel } from '../src/engine/jobs/prepare';
import { Classifier } from '../src/engine/runtime/classifier';
import { EngineClient } from '../src/host/engineClient';
import { Rng } from '../src/engine/util/random';
import type { AnalyseOptions } from '../src/engine/jobs/analyseJob';

const IMAGES = Number(process.env.BENCH_HOST_IMAGES ?? 2);
const SIZE = 224;

async function writePredictedFolder(model: string, dir: string, threads: number): Promise<string[]> {
  const prepared = await prepareModel({ modelPath: model, overrides: { runtime: { executionProvider: 'cpu', threads, batchSize: IMAGES } } });
  const classifier = await Classifier.open(prepared.config, prepared.info);
  try {
    const rng = new Rng(11);
    const per = 3 * SIZE * SIZE;
    const pixels = Float32Array.from({ length: IMAGES * per }, () => rng.next());
    // what the model sees from a PNG is the byte-rounded image: predict on exactly that
    for (let k = 0; k < pixels.length; k++) pixels[k] = Math.round(pixels[k] * 255) / 255;
    const scores = await classifier.scores(pixels, IMAGES);
    const classes = scores.length / IMAGES;
    for (let i = 0; i < IMAGES; i++) {
      const row = scores.subarray(i * classes, (i + 1) * classes);
      const predicted = row.indexOf(Math.max(...row));
      mkdirSync(join(dir, `c${predicted}`), { recursive: true });
      writeFileSync(join(dir, `c${predicted}`, `${i}.png`), encodePng(pixels.subarray(i * per, (i + 1) * per), 3, SIZE, SIZE));
    }
    return Array.from({ length: classes }, (_, k) => `c${k}`);
  } finally {
    await classifier.dispose();
  }
}

export async function hostBench(shared: string, threads: number, enginePath: string): Promise<void> {
  console.log(`\n11. the extension host during analyse --preset fast of resnet18-random-224 (${IMAGES} images of 224×224×3), engine in its own process`);
  const work = mkdtempSync(join(tmpdir(), 'rl-bench-host-'));
  const model = resolve(shared, 'models', 'resnet18-random-224.onnx');
  const client = new EngineClient({ enginePath, cwd: work, idleTimeoutMs: 0 });
  try {
    const classNames = await writePredictedFolder(model, join(work, 'images'), threads);
    const sizes: [string, number][] = [];
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    const options: AnalyseOptions = {
      preset: 'fast', attacks: null, K: 15, radius: null, directions: 'random', cutoff: null, epsilons: [8 / 255], outDir: join(work, 'run'),
    };
    const t0 = performance.now();
    let lastStage = '';
    histogram.enable();
    const run = client.start('analyse', { modelPath: model, overrides: { images: join(work, 'images'), classNames, runtime: { executionProvider: 'cpu', threads, batchSize: 8 } } }, options, {
      onSection: (name, section) => sizes.push([name, JSON.stringify(section).length]),
      onProgress: (p) => {
        if (p.stage === lastStage) return;
        lastStage = p.stage;
        console.log(`   [${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${p.stage}`);
      },
    });
    const report = await run.result;
    histogram.disable();
    const seconds = (performance.now() - t0) / 1000;
    const ms = (ns: number) => Math.max(0, ns / 1e6 - 10).toFixed(1);
    console.log(`   ${report.status} in ${seconds.toFixed(0)} s; host event-loop delay max ${ms(histogram.max)} ms, p99 ${ms(histogram.percentile(99))} ms`);
    console.log(`   messages parsed by the host: ${sizes.map(([n, b]) => `${n} ${(b / 1024).toFixed(0)} KiB`).join(', ')}; the report ${(JSON.stringify(report).length / 1024).toFixed(0)} KiB`);
  } finally {
    await client.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
