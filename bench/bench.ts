/**
 * npm run bench — speed figures (printed, never asserted):
 *  1. clean-inference throughput (images/s) at batch 1, 32 and 128 for the shared models, 2 intra-op threads;
 *  2. end-to-end clean evaluation (decode + preprocess + infer) of the shared test folders;
 *  3. forward + backward (gradient model) throughput at batch 1, 32 and 128;
 *  4. attack speed on the shared models next to torchattacks' (PGD-10 at batch 100: 349 / 1697 / 228 images/s);
 *  5–7. defences' inference cost, Occluded Frequency speed, the 224×224×3 scale check (bench/defenceBench.ts);
 *  8. peak resident memory; 9–10. bounded memory (bench/memoryBench.ts); 11. the extension host (hostBench.ts);
 *  12–14. at 224×224×3 side by side with PyTorch: forward + input gradient on a ResNet-50 and a ViT-S/16,
 *      PGD-10, post-averaging's cost per point (bench/bench224.ts); 15. the architecture corpus's forward +
 *      gradient against PyTorch (bench/corpusBench.ts).
 * `--only 224` (or BENCH_ONLY=224) runs rows 12–14 only, `--only corpus` row 15, `--only host` the host row.
 * npm run bench:gpu (--gpu) runs rows 1–4 on the first GPU provider doctor's checks pass, or says none works.
 * PyTorch 1.13 on the same 2-core machine (2 threads, no_grad), mnist-cnn: 855 / 4124 / 5289 images/s;
 * forward + backward (loss.backward() to the input): mnist-cnn 401 / 2391 / 3639, mnist-mlp 2534 / 11807 / 20995,
 * fashion-resnet 158 / 1946 / 2129.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ModelSession } from '../src/engine/runtime/modelSession';
import { runEvalJob } from '../src/engine/jobs/evalJob';
import { Rng } from '../src/engine/util/random';
import { prepareModel } from '../src/engine/jobs/prepare';
import { gradientBuilderFor } from '../src/engine/grad/forClassifier';
import { GradientModel } from '../src/engine/grad/gradientModel';
import { runAttackJob, type AttacksSection } from '../src/engine/jobs/attackJob';
import type { AttackSpec } from '../src/engine/attacks/registry';
import { defenceBench } from './defenceBench';
import { memoryBench } from './memoryBench';
import { hostBench } from './hostBench';
import { pickGpuProvider } from './gpuBench';
import { bench224 } from './bench224';
import { corpusBench } from './corpusBench';
import type { ExecutionProviderName } from '../src/engine/config/configFile';

/** Further attack rows (DeepFool: torchattacks needed 401 s for the 500 mnist-cnn images = 1.25 images/s). */
const EXTRA_ATTACK_BENCH: [string, string, Record<string, unknown>, AttackSpec, number][] = [
  ['mnist-cnn', 'mnist-test', {}, { name: 'deepfool', params: {} }, 1.25],
  ['mnist-cnn', 'mnist-test', {}, { name: 'simba', params: { basis: 'dct' } }, NaN],
];

const shared = resolve(__dirname, '..', '..', 'shared');
const PYTORCH: Record<string, number[]> = { 'mnist-cnn': [855, 4124, 5289] };
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
/** The bundled engine process beside this bundle (dist/engineProcess.js). */
const ENGINE_PATH = resolve(__dirname, 'engineProcess.js');
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
/** `--gpu` (npm run bench:gpu): rows 1–4 on the first GPU provider that works; never a silent fallback to CPU. */
const GPU = process.argv.includes('--gpu');
/** `--only host|224|corpus` (or BENCH_ONLY): one group of rows. */
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? process.argv[onlyAt + 1] : process.env.BENCH_ONLY;
let EP: ExecutionProviderName = 'cpu';
const runtimeOpts = () => ({ executionProvider: EP, threads: THREADS, ...(EP !== 'cpu' ? { strictProvider: true } : {}) });

async function throughput(file: string, shape: number[], batch: number): Promise<number> {
  const session = await ModelSession.open(file, runtimeOpts());
  try {
    const per = shape.reduce((a, b) => a * b, 1);
    const rng = new Rng(0);
    const data = new Float32Array(per * batch).map(() => rng.next());
    const input = session.inputNames[0],
      output = session.outputNames[0];
    for (let i = 0; i < 3; i++) await session.run(input, output, data, batch, shape);
    let images = 0;
    const t0 = performance.now();
    while ((performance.now() - t0) / 1000 < MIN_SECONDS) {
      await session.run(input, output, data, batch, shape);
      images += batch;
    }
    return images / ((performance.now() - t0) / 1000);
  } finally {
    await session.dispose();
  }
}

async function gradientThroughput(name: string, batch: number, extra: Record<string, unknown>): Promise<number> {
  const prepared = await prepareModel({
    modelPath: resolve(shared, 'models', `${name}.onnx`),
    overrides: { runtime: runtimeOpts(), ...extra },
  });
  const builder = await gradientBuilderFor(prepared, 'logits');
  const model = await GradientModel.open(builder, { kind: 'cross-entropy' }, { ...runtimeOpts(), maxBatch: batch, label: name });
  try {
    const per = builder.pixelShape.reduce((a, b) => a * b, 1);
    const rng = new Rng(1);
    const pixels = Float32Array.from({ length: batch * per }, () => rng.next());
    const labels = Array.from({ length: batch }, (_, i) => i % builder.numClasses);
    for (let i = 0; i < 3; i++) await model.compute(pixels, batch, { labels });
    let images = 0;
    const t0 = performance.now();
    while ((performance.now() - t0) / 1000 < MIN_SECONDS) {
      await model.compute(pixels, batch, { labels });
      images += batch;
    }
    return images / ((performance.now() - t0) / 1000);
  } finally {
    await model.dispose();
  }
}

async function main(): Promise<void> {
  if (GPU) {
    const { provider, lines } = await pickGpuProvider();
    if (!provider) {
      console.log(['bench:gpu: no GPU execution provider works on this machine; nothing measured.', ...lines].join('\n'));
      console.log('(robustness-lens doctor says what each provider needs; npm run bench measures the CPU.)');
      return;
    }
    EP = provider;
  }
  if (!existsSync(shared)) {
    console.log(`bench: ${shared} not found — the benchmark needs the shared models; nothing measured.`);
    return;
  }
  console.log(`Robustness Lens benchmark — onnxruntime-node, ${EP}, ${THREADS} threads, node ${process.versions.node}\n`);
  // --only host: the extension host's side of a 224×224×3 analyse; 224: the side-by-side rows 12–14; corpus: row 15
  if (ONLY === 'host') return hostBench(shared, THREADS, ENGINE_PATH);
  if (ONLY === '224') return bench224(shared, THREADS);
  if (ONLY === 'corpus') return corpusBench(THREADS);
  if (ONLY !== undefined) throw new Error(`bench: --only ${ONLY}: expected host, 224 or corpus`);
  console.log('1. clean inference throughput (images/s, random inputs, session.run only)');
  console.log('model                 batch 1   batch 32  batch 128   PyTorch 1.13 (1/32/128)');
  const models: [string, number[], number[]][] = [
    ['mnist-cnn', [1, 28, 28], [1, 32, 128]],
    ['mnist-mlp', [1, 28, 28], [1, 32, 128]],
    ['fashion-resnet', [1, 28, 28], [1, 32, 128]],
    ['resnet18-random-224', [3, 224, 224], [1, 32]],
  ];
  for (const [name, shape, batches] of models) {
    const figures: string[] = [];
    for (const b of [1, 32, 128]) {
      figures.push(
        batches.includes(b) ? (await throughput(resolve(shared, 'models', `${name}.onnx`), shape, b)).toFixed(0).padStart(9) : '        —',
      );
    }
    const ref = PYTORCH[name] ? PYTORCH[name].join(' / ') : '—';
    console.log(`${name.padEnd(20)} ${figures.join(' ')}   ${ref}`);
  }

  console.log('\n2. end-to-end clean evaluation of the 500 shared test images (decode + preprocess + infer, batch 128)');
  const runs: [string, string, Record<string, unknown>][] = [
    ['mnist-cnn', 'mnist-test', {}],
    ['mnist-mlp', 'mnist-test', {}],
    [
      'fashion-resnet',
      'fashion-mnist-test',
      {
        classNames: ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'],
        input: { mean: [0.287], std: [0.3536] },
      },
    ],
  ];
  for (const [model, dataset, extra] of runs) {
    const t0 = performance.now();
    const report = await runEvalJob({
      modelPath: resolve(shared, 'models', `${model}.onnx`),
      overrides: {
        images: resolve(shared, 'datasets', dataset),
        runtime: { ...runtimeOpts(), batchSize: 128 },
        ...extra,
      },
    });
    const s = (performance.now() - t0) / 1000;
    const clean = report.sections.clean!;
    console.log(
      `${model.padEnd(20)} ${clean.top1Correct}/${clean.evaluated} correct, ${(clean.evaluated / s).toFixed(0)} images/s including model load (${s.toFixed(2)} s)`,
    );
  }
  console.log('\n3. forward + backward throughput (images/s: logits, cross-entropy and its gradient w.r.t. the pixels)');
  console.log('model                 batch 1   batch 32  batch 128   PyTorch 1.13 loss.backward() (1/32/128)');
  for (const [name, ref, extra] of [
    ['mnist-cnn', [401, 2391, 3639], {}],
    ['mnist-mlp', [2534, 11807, 20995], {}],
    ['fashion-resnet', [158, 1946, 2129], { input: { mean: [0.287], std: [0.3536] } }],
  ] as [string, number[], Record<string, unknown>][]) {
    const figures: string[] = [];
    for (const b of [1, 32, 128]) figures.push((await gradientThroughput(name, b, extra)).toFixed(0).padStart(9));
    console.log(`${name.padEnd(20)} ${figures.join(' ')}   ${ref.join(' / ')}`);
  }

  console.log(
    "\n4. attacks on the 500 shared test images (batch 100; images/s = evaluated images / attack time, as torchattacks' figures)",
  );
  console.log(
    '   PGD runs twice in one suite: the first run includes opening the gradient sessions (once per run), the second is steady state',
  );
  console.log('model / attack                         ours img/s (first / steady)   torchattacks img/s   attacked accuracy (ours)');
  const fashion = {
    classNames: ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'],
    input: { mean: [0.287], std: [0.3536] },
  };
  for (const [model, dataset, extra, spec, torch] of [
    ['mnist-cnn', 'mnist-test', {}, { name: 'pgd', params: { eps: 0.2, alpha: 0.05, steps: 10 } }, 349],
    ['mnist-mlp', 'mnist-test', {}, { name: 'pgd', params: { eps: 0.2, alpha: 0.05, steps: 10 } }, 1697],
    ['fashion-resnet', 'fashion-mnist-test', fashion, { name: 'pgd', params: { eps: 0.1, alpha: 0.025, steps: 10 } }, 228],
    ...EXTRA_ATTACK_BENCH,
  ] as [string, string, Record<string, unknown>, AttackSpec, number][]) {
    const twice = spec.name === 'pgd';
    const report = await runAttackJob(
      {
        modelPath: resolve(shared, 'models', `${model}.onnx`),
        overrides: {
          images: resolve(shared, 'datasets', dataset),
          runtime: { ...runtimeOpts(), batchSize: 100 },
          ...extra,
        },
      },
      { attacks: twice ? [spec, spec] : [spec], criterion: 'top1', target: null, gradient: 'analytic', gallery: 0, outDir: null },
    );
    const runs = (report.sections.attacks as AttacksSection).runs;
    const rate = (r: (typeof runs)[number]) => (r.evaluated / r.seconds).toFixed(1);
    const ours = twice ? `${rate(runs[0])} / ${rate(runs[1])}` : rate(runs[0]);
    console.log(
      `${`${model} / ${runs[0].label}`.padEnd(38)} ${ours.padStart(27)}   ${(Number.isNaN(torch) ? '—' : String(torch)).padStart(18)}   ${(100 * runs[0].attacked.top1Accuracy).toFixed(1)} %`,
    );
  }

  // rows 5–8 measure CPU-side work (defences' pixel code, memory, the extension host): npm run bench has them
  if (GPU) return;
  await defenceBench(shared, THREADS);

  console.log(`\n8. peak resident memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  await memoryBench(shared, THREADS);
  await hostBench(shared, THREADS, ENGINE_PATH);
  await bench224(shared, THREADS);
  await corpusBench(THREADS);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
