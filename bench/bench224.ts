/**
 * Bench rows at 224×224×3 against PyTorch, measured side by side in one run (issue #14, item 4): rounds of
 * ours and PyTorch's alternate (never overlapping: the peer answers one request at a time), both with the
 * same intra-op thread count, so load from other processes on the machine hits both sides alike.
 *  12. forward + input gradient (logits, cross-entropy, ∂loss/∂pixels) at batch 1, 8 and 32 on a ResNet-50
 *      and a ViT-S/16 (random weights, exported to ONNX once into bench/.cache by the PyTorch peer);
 *      ours = the gradient model session attacks use. Bar: PyTorch's seconds / ours ≥ 1.3.
 *  13. PGD-10 L∞ (ε 8/255, α 2/255) on 32 images of the ResNet-50: our PGD against torchattacks' PGD loop
 *      (bench/torchPeer.py; torchattacks itself is not installed here). Bar ≥ 1.3.
 *  14. post-averaging (K = 15: 91 points per image) on resnet18-random-224: seconds per evaluated point
 *      against the plain model's seconds per image at its best batch size (1, 8, 32). Bar ≤ 1.1.
 * Each row prints the peak resident memory of ours (this process) and PyTorch's (the peer) during the row.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { prepareModel, type PreparedModel } from '../src/engine/jobs/prepare';
import { Classifier } from '../src/engine/runtime/classifier';
import { gradientBuilderFor } from '../src/engine/grad/forClassifier';
import { GradientModel } from '../src/engine/grad/gradientModel';
import { attackContext, gradientProvider } from '../src/engine/attacks/context';
import { createPgd } from '../src/engine/attacks/pgd';
import { PostAveragedModel, randomDirections } from '../src/engine/defences/postAveraging';
import { Rng } from '../src/engine/util/random';
import { TorchPeer, median, peakRssMiB, resetPeakRss, timeReps, type PeerAnswer } from './peer';

export const CACHE = process.env.BENCH_CACHE ?? resolve(__dirname, '..', 'bench', '.cache');
const ROUNDS = Number(process.env.BENCH_224_ROUNDS ?? 3);
const PGD_ROUNDS = Number(process.env.BENCH_224_PGD_ROUNDS ?? 1);
/** Seconds one side spends per round (whole calls: at least one). */
const ROUND_SECONDS = Number(process.env.BENCH_224_ROUND_SECONDS ?? 1.5);
/** BENCH_224_ROWS=grad,pgd,postavg (default all): which of rows 12–14 run (PGD needs row 12's ResNet-50 file). */
const ROWS = new Set((process.env.BENCH_224_ROWS ?? 'grad,pgd,postavg').split(','));
const GRAD_BAR = 1.3;
const PGD_BAR = 1.3;
const POST_AVERAGING_BAR = 1.1;

export interface SideBySide {
  ours: number;
  theirs: number | null;
  oursPeak: number;
  theirsPeak: number | null;
  note?: string;
}

/**
 * Seconds per call of ours and PyTorch's: one warm-up each, then `rounds` rounds alternating ours / theirs,
 * each side repeating its call for about ROUND_SECONDS; medians over all timed calls. Ours' peak memory is
 * taken from `resetAt` (reset by the caller before opening its sessions) to the end.
 */
export async function sideBySide(
  ours: () => Promise<unknown>,
  theirs: ((reps: number) => Promise<PeerAnswer>) | null,
  rounds: number,
  resetOk: boolean,
  roundSeconds = ROUND_SECONDS,
  /** false: no warm-up call, one call per side per round (the caller warmed both up, e.g. PGD). */
  warmUp = true,
): Promise<SideBySide> {
  const oursReps = warmUp ? Math.max(1, Math.round(roundSeconds / (await timeReps(1, ours))[0])) : 1;
  const mine: number[] = [];
  const peer: number[] = [];
  let theirsPeak: number | null = null;
  let note: string | undefined;
  let theirsReps = 1;
  if (theirs && warmUp) {
    const a = await theirs(1);
    if (a.error) note = a.error;
    else theirsReps = Math.max(1, Math.round(roundSeconds / a.seconds![0]));
  }
  for (let r = 0; r < rounds; r++) {
    mine.push(...(await timeReps(oursReps, ours)));
    if (theirs && !note) {
      const a = await theirs(theirsReps);
      if (a.error) note = a.error;
      else {
        peer.push(...a.seconds!);
        theirsPeak = Math.max(theirsPeak ?? 0, a.peak_mib ?? 0);
      }
    }
  }
  return {
    ours: median(mine),
    theirs: peer.length ? median(peer) : null,
    oursPeak: peakRssMiB(resetOk),
    theirsPeak,
    ...(note ? { note } : {}),
  };
}

const fmt = (s: number | null, digits = 3) => (s === null ? '—' : s.toFixed(digits));
const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');

export async function forwardGradientRow(
  label: string,
  prepared: PreparedModel,
  batch: number,
  threads: number,
  peer: TorchPeer | null,
  peerModel: string,
  rounds: number,
  roundSeconds?: number,
): Promise<SideBySide> {
  const resetOk = resetPeakRss();
  const builder = await gradientBuilderFor(prepared, 'logits');
  const model = await GradientModel.open(
    builder,
    { kind: 'cross-entropy' },
    { executionProvider: 'cpu', threads, maxBatch: batch, label: `${label} batch ${batch}` },
  );
  try {
    const per = builder.pixelShape.reduce((a, b) => a * b, 1);
    const rng = new Rng(1);
    const pixels = Float32Array.from({ length: batch * per }, () => rng.next());
    const labels = Array.from({ length: batch }, (_, i) => i % builder.numClasses);
    return await sideBySide(
      () => model.compute(pixels, batch, { labels }),
      peer ? (reps) => peer.request({ cmd: 'grad', model: peerModel, batch, reps }) : null,
      rounds,
      resetOk,
      roundSeconds,
    );
  } finally {
    await model.dispose();
  }
}

const MODELS_224: [label: string, peerName: string, file: string][] = [
  ['ResNet-50', 'resnet50', 'resnet50-random-224.onnx'],
  ['ViT-S/16', 'vit_s16', 'vit_s16-random-224.onnx'],
];

export async function bench224(shared: string, threads: number): Promise<void> {
  const peer = await TorchPeer.start(threads);
  const torch = typeof peer === 'string' ? null : peer;
  const skip = typeof peer === 'string' ? `PyTorch side skipped: ${peer}` : null;
  try {
    console.log(
      `\n12. forward + input gradient at 224×224×3, side by side with PyTorch ${torch ? '1.13' : '(absent)'} (${threads} threads each; ${ROUNDS} alternating rounds; seconds per call, medians)`,
    );
    console.log(
      '    ResNet-50 = torchvision resnet50; ViT-S/16 = torchvision VisionTransformer(patch 16, 12 layers, 6 heads, width 384, MLP 1536)',
    );
    console.log(
      '    random weights, 1000 classes, exported to ONNX opset 17 by the peer into bench/.cache; PyTorch: autograd.grad of the summed CE',
    );
    if (skip) console.log(`    ${skip}`);
    else
      console.log(
        `    PyTorch: OMP_WAIT_POLICY ${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}, BLAS ${torch!.blas.join(', ') || 'none loaded'}`,
      );
    console.log(`model        batch   ours s    PyTorch s   PyTorch/ours   bar ≥ ${GRAD_BAR}   peak RSS ours / PyTorch (MiB)   ours img/s`);
    const prepared: Record<string, PreparedModel> = {};
    for (const [label, name, file] of MODELS_224) {
      const path = resolve(CACHE, file);
      if (torch) {
        const a = await torch.request({ cmd: 'load', model: name, onnx: path });
        if (a.error) {
          console.log(`${label.padEnd(12)} PyTorch could not build or export it: ${a.error}`);
          continue;
        }
      }
      if (!existsSync(path)) {
        console.log(`${label.padEnd(12)} skipped: ${path} is written by the PyTorch peer, which is absent`);
        continue;
      }
      prepared[name] = await prepareModel({ modelPath: path, overrides: { runtime: { executionProvider: 'cpu', threads } } });
      for (const batch of ROWS.has('grad') ? [1, 8, 32] : []) {
        const r = await forwardGradientRow(label, prepared[name], batch, threads, torch, name, ROUNDS);
        const ratio = r.theirs === null ? null : r.theirs / r.ours;
        console.log(
          `${label.padEnd(12)} ${String(batch).padStart(5)}   ${fmt(r.ours).padStart(7)}   ${fmt(r.theirs).padStart(9)}   ${fmt(ratio, 2).padStart(12)}   ${(ratio === null ? 'skipped' : verdict(ratio >= GRAD_BAR)).padStart(10)}   ${`${r.oursPeak.toFixed(0)} / ${r.theirsPeak === null ? '—' : r.theirsPeak.toFixed(0)}`.padStart(29)}   ${(batch / r.ours).toFixed(1).padStart(10)}${r.note ? `   (${r.note})` : ''}`,
        );
      }
    }

    console.log(
      `\n13. PGD-10 L∞ (ε 8/255, α 2/255, random start) on 32 random images of the ResNet-50, batch 32; ${PGD_ROUNDS} round(s) each side`,
    );
    console.log(
      "    PyTorch: torchattacks' PGD loop in bench/torchPeer.py (torchattacks is not installed here); ours: createPgd, as the attack job runs it",
    );
    if (!ROWS.has('pgd')) console.log('    not selected (BENCH_224_ROWS)');
    else if (prepared.resnet50) await pgdRow(prepared.resnet50, threads, torch);
    else console.log('    skipped: the ResNet-50 fixture is absent (see row 12)');

    if (ROWS.has('postavg')) await postAveragingRow(shared, threads);
  } finally {
    torch?.close();
  }
}

async function pgdRow(prepared: PreparedModel, threads: number, torch: TorchPeer | null): Promise<void> {
  const N = 32;
  const resetOk = resetPeakRss();
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  const builder = await gradientBuilderFor(prepared, 'logits', classifier.numClasses ?? undefined);
  const gradients = gradientProvider(
    classifier,
    builder,
    'analytic',
    { executionProvider: 'cpu', threads, maxBatch: N, label: 'ResNet-50' },
    0,
  );
  try {
    const ctx = attackContext(classifier, gradients, 'top1', 0);
    const per = classifier.pixelsPerSample;
    const rng = new Rng(2);
    const batch = {
      pixels: Float32Array.from({ length: N * per }, () => rng.next()),
      count: N,
      labels: Array.from({ length: N }, (_, i) => i % 1000),
      targets: null,
    };
    const eps = 8 / 255,
      alpha = 2 / 255;
    // warm-up: opens the gradient session (cached for the run, as in an attack job) and the forward session
    await createPgd({ eps, alpha, steps: 1 }).run(batch, ctx);
    await torch?.request({ cmd: 'pgd', model: 'resnet50', n: N, steps: 1, eps, alpha });
    const pgd = createPgd({ eps, alpha, steps: 10 });
    const r = await sideBySide(
      () => pgd.run(batch, ctx),
      torch ? () => torch.request({ cmd: 'pgd', model: 'resnet50', n: N, steps: 10, eps, alpha }) : null,
      PGD_ROUNDS,
      resetOk,
      0,
      false, // both warmed up just above (one step each): a PGD-10 at batch 32 takes minutes here
    );
    const ratio = r.theirs === null ? null : r.theirs / r.ours;
    console.log('model        images   ours s    PyTorch s   PyTorch/ours   bar ≥ 1.3   peak RSS ours / PyTorch (MiB)   ours img/s');
    console.log(
      `${'ResNet-50'.padEnd(12)} ${String(N).padStart(6)}   ${fmt(r.ours, 1).padStart(6)}   ${fmt(r.theirs, 1).padStart(9)}   ${fmt(ratio, 2).padStart(12)}   ${(ratio === null ? 'skipped' : verdict(ratio >= PGD_BAR)).padStart(9)}   ${`${r.oursPeak.toFixed(0)} / ${r.theirsPeak === null ? '—' : r.theirsPeak.toFixed(0)}`.padStart(29)}   ${(N / r.ours).toFixed(2).padStart(10)}${r.note ? `   (${r.note})` : ''}`,
    );
  } finally {
    await gradients.dispose();
    await classifier.dispose();
  }
}

async function postAveragingRow(shared: string, threads: number): Promise<void> {
  const file = resolve(shared, 'models', 'resnet18-random-224.onnx');
  console.log('\n14. post-averaging K=15 (91 points per image, radius 35) on resnet18-random-224: cost per evaluated point');
  if (!existsSync(file)) {
    console.log(`    skipped: ${file} not found`);
    return;
  }
  const resetOk = resetPeakRss();
  const prepared = await prepareModel({ modelPath: file, overrides: { runtime: { executionProvider: 'cpu', threads } } });
  const open = (batchSize: number) =>
    Classifier.open({ ...prepared.config, runtime: { ...prepared.config.runtime, batchSize } }, prepared.info, prepared.model);
  const rng = new Rng(6);
  let per = 0;
  let x = new Float32Array(0);
  const plain: [number, number][] = [];
  for (const batch of [1, 8, 32]) {
    const c = await open(batch);
    try {
      per = c.pixelsPerSample;
      if (x.length < 32 * per) x = Float32Array.from({ length: 32 * per }, () => rng.next());
      const xb = x.subarray(0, batch * per);
      const r = await sideBySide(() => c.scores(xb, batch), null, ROUNDS, resetOk);
      plain.push([batch, r.ours / batch]);
    } finally {
      await c.dispose();
    }
  }
  const [best, perImage] = plain.reduce((a, b) => (b[1] < a[1] ? b : a));
  const c = await open(best);
  try {
    const pa = new PostAveragedModel(c, { K: 15, radius: 35, sampler: randomDirections(c.preprocessing), rng: new Rng(5) });
    const images = 2;
    const xb = x.subarray(0, images * per);
    // alternate the plain model at its best batch and post-averaging, as the side-by-side rows do
    const r = await sideBySide(
      () => pa.scores(xb, images),
      async (reps) => ({ seconds: await timeReps(reps, () => c.scores(x.subarray(0, best * per), best)) }),
      ROUNDS,
      resetOk,
      3,
    );
    const perPoint = r.ours / (images * pa.points);
    const plainNow = r.theirs! / best;
    const ratio = perPoint / plainNow;
    console.log(
      `    plain model, seconds per image: ${plain.map(([b, s]) => `batch ${b} ${s.toFixed(4)}`).join(', ')} → best batch ${best}`,
    );
    console.log(
      `    post-averaging at batch ${best}: ${r.ours.toFixed(2)} s for ${images} images = ${(perPoint * 1000).toFixed(2)} ms per point; plain at batch ${best} alongside it: ${(plainNow * 1000).toFixed(2)} ms per image (${(perImage * 1000).toFixed(2)} ms in the sweep)`,
    );
    console.log(
      `    per point / plain per image = ${ratio.toFixed(3)}   bar ≤ ${POST_AVERAGING_BAR}: ${verdict(ratio <= POST_AVERAGING_BAR)}   peak RSS ${r.oursPeak.toFixed(0)} MiB`,
    );
  } finally {
    await c.dispose();
  }
}
