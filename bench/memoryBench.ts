/**
 * Bench rows for bounded memory (issue 7): resident memory while 10,000 images stream through the
 * 224×224×3 random-weight ResNet-18 (32×32 PNGs, resized to 224 by the preprocessing), and opening a
 * model with 500 MB of weights (external data). RSS is sampled during the run (process.memoryUsage), so
 * earlier bench rows do not inflate it; the process's peak (getrusage) is printed beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runEvalJob } from '../src/engine/jobs/evalJob';
import { prepareModel } from '../src/engine/jobs/prepare';
import { Classifier } from '../src/engine/runtime/classifier';
import { errorText } from '../src/engine/errors';
import { writeBigGemmModel, writeImageFolder } from '../test/hardening/helpers-g/generate';

const MiB = 2 ** 20;
const rssMiB = () => process.memoryUsage().rss / MiB;
const IMAGES = Number(process.env.BENCH_MEMORY_IMAGES ?? 10_000);
const BIG_MODEL_MB = Number(process.env.BENCH_BIG_MODEL_MB ?? 500);

export async function memoryBench(shared: string, threads: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'rl-bench-memory-'));
  try {
    console.log(
      `\n9. bounded memory: streaming evaluation of ${IMAGES.toLocaleString('en')} 32×32 PNGs on resnet18-random-224 (resized to 224×224×3, batch 32)`,
    );
    let t = performance.now();
    writeImageFolder(join(work, 'images'), IMAGES, { size: 32, channels: 3, classes: 10 });
    console.log(`   ${IMAGES} PNGs written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const samples: [number, number][] = [];
    const before = rssMiB();
    t = performance.now();
    const report = await runEvalJob(
      {
        modelPath: resolve(shared, 'models', 'resnet18-random-224.onnx'),
        overrides: {
          images: join(work, 'images'),
          classNames: Array.from({ length: 1000 }, (_, k) => (k < 10 ? `c${k}` : `unused-${k}`)),
          runtime: { executionProvider: 'cpu', threads, batchSize: 32 },
        },
      },
      { onProgress: (p) => samples.push([p.done, rssMiB()]) },
    );
    const seconds = (performance.now() - t) / 1000;
    const evaluated = report.sections.clean!.evaluated;
    const at = (n: number) => samples.find(([done]) => done >= n)?.[1] ?? NaN;
    const peak = Math.max(...samples.map(([, r]) => r));
    console.log(`   ${evaluated} images in ${seconds.toFixed(1)} s = ${(evaluated / seconds).toFixed(1)} images/s`);
    console.log(
      `   RSS before ${before.toFixed(0)} MiB; after 500 images ${at(500).toFixed(0)} MiB, 2,000 ${at(2000).toFixed(0)} MiB, ${IMAGES} ${at(IMAGES).toFixed(0)} MiB; peak during the run ${peak.toFixed(0)} MiB`,
    );

    console.log(`\n10. a model with ${BIG_MODEL_MB} MB of weights (Gemm 784 × hidden as ONNX external data): open + one forward pass`);
    t = performance.now();
    const { path, weightBytes } = writeBigGemmModel(join(work, 'big'), BIG_MODEL_MB);
    console.log(`   ${(weightBytes / MiB).toFixed(0)} MiB of weights written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const beforeLoad = rssMiB();
    t = performance.now();
    try {
      const prepared = await prepareModel({ modelPath: path, overrides: { runtime: { executionProvider: 'cpu', threads, batchSize: 4 } } });
      const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
      try {
        await classifier.scores(new Float32Array(classifier.pixelsPerSample).fill(0.5), 1);
        console.log(
          `   opened and ran in ${((performance.now() - t) / 1000).toFixed(1)} s; RSS ${beforeLoad.toFixed(0)} → ${rssMiB().toFixed(0)} MiB with the model open`,
        );
      } finally {
        await classifier.dispose();
      }
    } catch (e) {
      console.log(`   refused with a message after ${((performance.now() - t) / 1000).toFixed(1)} s: ${errorText(e)}`);
    }
    console.log(`   process peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
