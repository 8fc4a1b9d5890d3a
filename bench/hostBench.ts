/**
 * The extension host's side of a run on a 224×224×3 model: this process drives the engine process through
 * EngineClient exactly as the extension does, and measures its own event-loop delay while an analyse runs,
 * with the size of every message it had to parse. The images are seeded noise, each filed under the class
 * the random-weight ResNet-18 predicts for it, so every image is "correctly classified" and gets attacked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodePng } from '../src/engine/attacks/gallery';
import { prepareModel } from '../src/engine/jobs/prepare';
import { Classifier } from '../src/engine/runtime/classifier';
import { EngineClient } from '../src/host/engineClient';
import { EventLoopDelayProbe } from '../src/host/eventLoopDelay';
import { Rng } from '../src/engine/util/random';
import type { AnalyseOptions } from '../src/engine/jobs/analyseJob';

const IMAGES = Number(process.env.BENCH_HOST_IMAGES ?? 2);
const SIZE = 224;

async function writePredictedFolder(model: string, dir: string, threads: number): Promise<string[]> {
  const prepared = await prepareModel({
    modelPath: model,
    overrides: { runtime: { executionProvider: 'cpu', threads, batchSize: IMAGES } },
  });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
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
  console.log(
    `\n11. the extension host during analyse --preset fast of resnet18-random-224 (${IMAGES} images of 224×224×3), engine in its own process`,
  );
  const work = mkdtempSync(join(tmpdir(), 'rl-bench-host-'));
  const model = resolve(shared, 'models', 'resnet18-random-224.onnx');
  const client = new EngineClient({ enginePath, cwd: work, idleTimeoutMs: 0 });
  try {
    const classNames = await writePredictedFolder(model, join(work, 'images'), threads);
    // kept as received and sized after the run, so the measured loop carries only what the extension does
    const received: [string, unknown][] = [];
    const options: AnalyseOptions = {
      preset: 'fast',
      attacks: null,
      K: 15,
      radius: null,
      directions: 'random',
      cutoff: null,
      epsilons: [8 / 255],
      outDir: join(work, 'run'),
    };
    const t0 = performance.now();
    let lastStage = '';
    const probe = new EventLoopDelayProbe();
    const run = client.start(
      'analyse',
      {
        modelPath: model,
        overrides: { images: join(work, 'images'), classNames, runtime: { executionProvider: 'cpu', threads, batchSize: 8 } },
      },
      options,
      {
        onSection: (name, section) => received.push([name, section]),
        onProgress: (p) => {
          if (p.stage === lastStage) return;
          lastStage = p.stage;
          console.log(`   [${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${p.stage}`);
        },
      },
    );
    const report = await run.result;
    const delay = probe.stop();
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `   ${report.status} in ${seconds.toFixed(0)} s; host event-loop delay max ${delay.maxMs.toFixed(1)} ms, p99 ${delay.p99Ms.toFixed(1)} ms`,
    );
    const kib = (v: unknown) => (JSON.stringify(v).length / 1024).toFixed(0);
    console.log(
      `   messages parsed by the host: ${received.map(([n, s]) => `${n} ${kib(s)} KiB`).join(', ')}; the report ${kib(report)} KiB`,
    );
  } finally {
    await client.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
