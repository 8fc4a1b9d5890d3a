/**
 * Bench rows for the defences and the frequency lens: post-averaging's inference cost relative to the plain
 * model (same batch size), Occluded Frequency on one 28×28 image, and the 224×224×3 scale check (OF, RCT,
 * spectra and post-averaging on the random-weight ResNet-18, with the resident memory they need).
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { prepareModel } from '../src/engine/jobs/prepare';
import { Classifier } from '../src/engine/runtime/classifier';
import { PostAveragedModel, randomDirections } from '../src/engine/defences/postAveraging';
import { LowPassModel } from '../src/engine/defences/lowPassModel';
import { occludedFrequency, bandCount } from '../src/engine/spectral/occludedFrequency';
import { RctAccumulator } from '../src/engine/spectral/rct';
import { SpectrumAccumulator, defaultSpectrumCutoff } from '../src/engine/spectral/spectra';
import { Rng } from '../src/engine/util/random';

async function openClassifier(
  shared: string,
  file: string,
  threads: number,
  batchSize: number,
  extra: Record<string, unknown> = {},
): Promise<Classifier> {
  const prepared = await prepareModel({
    modelPath: resolve(shared, 'models', file),
    overrides: { runtime: { executionProvider: 'cpu', threads, batchSize }, ...extra },
  });
  return Classifier.open(prepared.config, prepared.info, prepared.model);
}

/** Median seconds of `reps` runs after one warm-up. */
async function timeIt(reps: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    t.push((performance.now() - t0) / 1000);
  }
  return t.sort((a, b) => a - b)[t.length >> 1];
}

export async function defenceBench(shared: string, threads: number): Promise<void> {
  console.log('\n5. defences: inference cost per image relative to the plain model at the same batch size (random inputs)');
  console.log('   post-averaging K=15 classifies 6K+1 = 91 points per image (one model call per image at batch 1)');
  console.log('model            batch   plain img/s   post-averaging img/s   ×plain   low-pass img/s   ×plain');
  const fashion = { input: { mean: [0.287], std: [0.3536] } };
  for (const [name, extra] of [
    ['mnist-cnn', {}],
    ['mnist-mlp', {}],
    ['fashion-resnet', fashion],
  ] as [string, Record<string, unknown>][]) {
    const c = await openClassifier(shared, `${name}.onnx`, threads, 100, extra);
    try {
      const rng = new Rng(1);
      const x = Float32Array.from({ length: 100 * c.pixelsPerSample }, () => rng.next());
      await c.scores(x.subarray(0, c.pixelsPerSample), 1);
      const pa = new PostAveragedModel(c, { K: 15, radius: 2.5, sampler: randomDirections(c.preprocessing), rng: new Rng(2) });
      const lp = new LowPassModel(c, 6);
      for (const batch of [1, 10, 100]) {
        const xb = x.subarray(0, batch * c.pixelsPerSample);
        const reps = Math.max(3, Math.round(100 / batch));
        const plain = await timeIt(reps, () => c.scores(xb, batch));
        const defended = await timeIt(Math.max(2, Math.round(reps / 5)), () => pa.scores(xb, batch));
        const filtered = await timeIt(reps, () => lp.scores(xb, batch));
        console.log(
          `${name.padEnd(16)} ${String(batch).padStart(5)}   ${(batch / plain).toFixed(0).padStart(11)}   ${(batch / defended).toFixed(1).padStart(20)}   ${(defended / plain).toFixed(1).padStart(6)}   ${(batch / filtered).toFixed(0).padStart(14)}   ${(filtered / plain).toFixed(2).padStart(6)}`,
        );
      }
    } finally {
      await c.dispose();
    }
  }

  console.log('\n6. Occluded Frequency, one 28×28 image (all 28 bands + the clean row in one model call)');
  {
    const c = await openClassifier(shared, 'mnist-cnn.onnx', threads, 64);
    try {
      const rng = new Rng(3);
      const x = Float32Array.from({ length: 784 }, () => rng.next());
      const s = await timeIt(10, () =>
        occludedFrequency(x, 1, [1, 28, 28], (p, n) => c.scores(p, n), { baseline: 'zero', scoreOn: 'logits', maxBatch: 64 }),
      );
      console.log(`mnist-cnn            ${(1000 * s).toFixed(1)} ms per image`);
    } finally {
      await c.dispose();
    }
  }

  console.log('\n7. scale check on resnet18-random-224 (224×224×3): one image through each analysis');
  const c = await openClassifier(shared, 'resnet18-random-224.onnx', threads, 32);
  try {
    const per = c.pixelsPerSample;
    const rng = new Rng(4);
    const x = Float32Array.from({ length: per }, () => rng.next());
    const x2 = Float32Array.from(x, (v) => Math.min(1, Math.max(0, v + 0.01 * (rng.next() - 0.5))));
    let t0 = performance.now();
    await occludedFrequency(x, 1, [3, 224, 224], (p, n) => c.scores(p, n), { baseline: 'zero', scoreOn: 'logits', maxBatch: 32 });
    console.log(`Occluded Frequency   ${bandCount(224, 224)} bands: ${((performance.now() - t0) / 1000).toFixed(1)} s per image`);
    t0 = performance.now();
    const rct = new RctAccumulator(3, 224, 224);
    const spec = new SpectrumAccumulator(3, 224, 224, defaultSpectrumCutoff(224, 224));
    for (let i = 0; i < 10; i++) {
      rct.add(x, x2);
      spec.add(x, x2);
    }
    console.log(`RCT + spectra        ${((performance.now() - t0) / 10).toFixed(1)} ms per adversarial example`);
    const pa = new PostAveragedModel(c, { K: 15, radius: 35, sampler: randomDirections(c.preprocessing), rng: new Rng(5) });
    t0 = performance.now();
    await pa.scores(x, 1);
    const paSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await c.scores(x, 1);
    console.log(`post-averaging K=15  ${paSeconds.toFixed(1)} s per image (plain ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
    console.log(`peak resident memory so far: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    await c.dispose();
  }
}
