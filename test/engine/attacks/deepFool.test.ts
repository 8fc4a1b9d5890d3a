import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  accumulate,
  candidateClasses,
  compose,
  createDeepFool,
  DEEPFOOL_DEFAULTS,
  linearizedStep,
  overtakesNeeded,
  pendingCandidates,
} from '../../../src/engine/attacks/deepFool';
import { attackContext, gradientProvider } from '../../../src/engine/attacks/context';
import { perturbationNorms } from '../../../src/engine/attacks/perturbation';
import type { AttackContext, Criterion } from '../../../src/engine/attacks/types';
import { EngineError } from '../../../src/engine/errors';
import { topK } from '../../../src/engine/eval/scores';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { Rng } from '../../../src/engine/util/random';
import { SKIP_NO_SHARED } from '../../helpers/shared';
import { attackFixture, attackReference, correctBatch } from './setup';

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

describe('parameters', () => {
  test("defaults are the paper's: L2, 50 steps, overshoot 0.02, top-10 candidates; minimal-perturbation mode", () => {
    assert.deepEqual({ ...DEEPFOOL_DEFAULTS }, { norm: 'l2', steps: 50, overshoot: 0.02, candidates: 10 });
    const a = createDeepFool({});
    assert.equal(a.mode, 'minimal-perturbation');
    assert.deepEqual(a.params, { attack: 'deepfool', norm: 'l2', steps: 50, overshoot: 0.02, candidates: 10 });
    assert.equal(a.label, 'DeepFool-50 L2 overshoot=0.02');
    assert.equal(createDeepFool({ norm: 'linf', steps: 10 }).label, 'DeepFool-10 L∞ overshoot=0.02');
  });

  for (const [params, message] of [
    [{ steps: 0 }, /^deepfool: steps 0: expected an integer from 1 to 10000$/],
    [{ steps: 2.5 }, /^deepfool: steps 2\.5: expected an integer/],
    [{ steps: 1e6 }, /^deepfool: steps 1000000: expected/],
    [{ overshoot: -0.1 }, /^deepfool: overshoot -0\.1: expected a number from 0 to 1/],
    [{ overshoot: 2 }, /^deepfool: overshoot 2: expected a number from 0 to 1/],
    [{ overshoot: Number.NaN }, /^deepfool: overshoot NaN: expected/],
    [{ candidates: 1 }, /^deepfool: candidates 1: expected an integer ≥ 2/],
    [{ norm: 'l1' }, /^deepfool: norm l1: expected 'l2' or 'linf'$/],
  ] as [Record<string, unknown>, RegExp][]) {
    test(`rejects ${JSON.stringify(params)} with a specific message`, () => {
      assert.throws(
        () => createDeepFool(params),
        (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && message.test(e.message),
      );
    });
  }
});

describe('pure parts', () => {
  test('candidates are the top classes of the clean scores other than the label', () => {
    const scores = [0.1, 3, 2, -1, 5, 0];
    assert.deepEqual(candidateClasses(scores, 4, 3), [1, 2]);
    assert.deepEqual(candidateClasses(scores, 1, 3), [4, 2], 'the label need not be the top class (top-5 criterion)');
    assert.deepEqual(candidateClasses(scores, 3, 3), [4, 1], 'a label outside the top k drops the k-th class');
    assert.deepEqual(candidateClasses(scores, 4, 10), [1, 2, 0, 5, 3], 'all classes when there are fewer than k');
  });

  test('pending candidates are those not above the label; overtakes needed are 1 (top-1) or 5 − above (top-5)', () => {
    const z = [1, 4, 2, 5, 0, 3, -1];
    assert.deepEqual(pendingCandidates(z, 5, [3, 1, 2, 0, 4]), [2, 0, 4]);
    assert.equal(overtakesNeeded(z, 5, 'top1'), 1);
    assert.equal(overtakesNeeded(z, 5, 'top5'), 3);
    assert.equal(overtakesNeeded(z, 4, 'top5'), 1, 'never below 1');
  });

  test('the step goes to the closest linearised boundary: L2 distance |f|/‖w‖₂, L∞ distance |f|/‖w‖₁', () => {
    // Row 0: |f| = 1, w = (1, 1, 1, 1): L2 distance 0.5, L1 distance 0.25.
    // Row 1: |f| = 0.6, w = (1, 0, 0, 0): L2 distance 0.6, L1 distance 0.6.
    const grad = Float32Array.of(1, 1, 1, 1, 1, 0, 0, 0);
    const f = [-1, -0.6];
    const l2 = linearizedStep(f, grad, 4, 'l2')!;
    assert.equal(l2.choice, 0);
    assert.ok(Math.abs(l2.distance - 0.5) < 1e-12);
    assert.ok(Math.abs(l2.scale - (1 + 1e-4) / 4) < 1e-12, '(|f| + 1e-4) / ‖w‖₂²');
    const linf = linearizedStep(f, grad, 4, 'linf')!;
    assert.equal(linf.choice, 0);
    assert.ok(Math.abs(linf.scale - (1 + 1e-4) / 4) < 1e-12, '(|f| + 1e-4) / ‖w‖₁');
    // Row 1 made closer in L2 only: w = (3, 0, 0, 0) → L2 distance 0.2, L1 distance 0.2; row 0 stays 0.5 / 0.25.
    const grad2 = Float32Array.of(1, 1, 1, 1, 3, 0, 0, 0);
    assert.equal(linearizedStep(f, grad2, 4, 'l2')!.choice, 1);
    assert.equal(linearizedStep(f, grad2, 4, 'linf')!.choice, 1);
    assert.equal(linearizedStep(f, grad2, 4, 'l2', 1)!.choice, 0, 'nth = 1 picks the second closest');
    assert.equal(linearizedStep(f, grad2, 4, 'l2', 5)!.choice, 0, 'nth is clamped to the usable rows');
  });

  test('rows with a zero or non-finite gradient are skipped; none usable gives null', () => {
    const f = [-0.1, -1];
    assert.equal(linearizedStep(f, Float32Array.of(0, 0, 2, 0), 2, 'l2')!.choice, 1);
    assert.equal(linearizedStep(f, Float32Array.of(Number.NaN, 0, 2, 0), 2, 'l2')!.choice, 1);
    assert.equal(linearizedStep(f, new Float32Array(4), 2, 'linf'), null);
    assert.equal(linearizedStep([], new Float32Array(0), 2, 'l2'), null);
  });

  test('accumulate adds scale·w (L2) or scale·sign(w) (L∞); compose applies the overshoot to r_tot and clips', () => {
    const t = new Float32Array(3);
    accumulate(t, Float32Array.of(2, -1, 0), 0.5, 'l2');
    assert.deepEqual(Array.from(t), [1, -0.5, 0]);
    accumulate(t, Float32Array.of(-3, -1, 0.5), 0.25, 'linf');
    assert.deepEqual(Array.from(t), [0.75, -0.75, 0.25]);
    const out = new Float32Array(3);
    compose(out, Float32Array.of(0.5, 0.5, 0.5), t, 0.02, [0, 1]);
    assert.deepEqual(Array.from(out), [1, 0, Math.fround(0.5 + 1.02 * 0.25)]);
  });
});

/** A 16-pixel, 8-class affine classifier z = W·x + b (its linearisation is exact: DeepFool lands in one step). */
function affineModel(seed: number): { bytes: Uint8Array; W: Float32Array; b: Float32Array } {
  const rng = new Rng(seed);
  const W = Float32Array.from({ length: 8 * 16 }, () => rng.normal());
  const b = Float32Array.from({ length: 8 }, () => rng.normal() * 0.5);
  const bytes = encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [makeNode('Flatten', ['x'], ['f']), makeNode('Gemm', ['f', 'W', 'b'], ['logits'], { transB: 1 })],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 4, 4])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 8])],
        initializers: [makeTensor('W', [8, 16], W), makeTensor('b', [8], b)],
      },
    }),
  );
  return { bytes, W, b };
}

describe('on an affine model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-deepfool-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const model = affineModel(11);
  writeFileSync(join(dir, 'affine.onnx'), model.bytes);
  const COUNT = 12,
    PER = 16,
    CLASSES = 8;
  const rng = new Rng(5);
  const pixels = Float32Array.from({ length: COUNT * PER }, () => 0.3 + 0.4 * rng.next());
  const logitsOf = (x: ArrayLike<number>, i: number) =>
    Array.from({ length: CLASSES }, (_, k) => {
      let s = model.b[k];
      for (let j = 0; j < PER; j++) s += model.W[k * PER + j] * x[i * PER + j];
      return s;
    });
  const labels = Array.from({ length: COUNT }, (_, i) => topK(logitsOf(pixels, i), 1)[0]);

  async function open(criterion: Criterion, signal?: AbortSignal): Promise<{ ctx: AttackContext; close: () => Promise<void> }> {
    const prepared = await prepareModel({
      modelPath: join(dir, 'affine.onnx'),
      overrides: { runtime: { executionProvider: 'cpu', batchSize: 64 } },
    });
    const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
    await classifier.scores(pixels.subarray(0, PER), 1);
    const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses!);
    const gradients = gradientProvider(
      classifier,
      builder,
      'analytic',
      { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: 'affine' },
      0,
    );
    return {
      ctx: attackContext(classifier, gradients, criterion, 0, signal),
      close: async () => {
        await gradients.dispose();
        await classifier.dispose();
      },
    };
  }

  /** The expected one-step DeepFool perturbation, in float64: 1.02 · (|f_l| + 1e-4) · step(w_l). */
  function expectedPerturbation(i: number, norm: 'l2' | 'linf'): Float64Array {
    const z = logitsOf(pixels, i),
      y = labels[i];
    let best = { d: Infinity, k: -1, size: 0 };
    for (let k = 0; k < CLASSES; k++) {
      if (k === y) continue;
      let size = 0;
      for (let j = 0; j < PER; j++) {
        const w = model.W[k * PER + j] - model.W[y * PER + j];
        size += norm === 'l2' ? w * w : Math.abs(w);
      }
      const d = Math.abs(z[k] - z[y]) / (norm === 'l2' ? Math.sqrt(size) : size);
      if (d < best.d) best = { d, k, size };
    }
    const scale = (1.02 * (Math.abs(z[best.k] - z[y]) + 1e-4)) / best.size;
    return Float64Array.from({ length: PER }, (_, j) => {
      const w = model.W[best.k * PER + j] - model.W[y * PER + j];
      return scale * (norm === 'l2' ? w : Math.sign(w));
    });
  }

  for (const norm of ['l2', 'linf'] as const) {
    test(`${norm}: one step to just past the closest boundary, (1 + overshoot) · (|f| + 1e-4) · ${norm === 'l2' ? 'w/‖w‖₂²' : 'sign(w)/‖w‖₁'}`, async () => {
      const { ctx, close } = await open('top1');
      try {
        const input = pixels.slice();
        const out = await createDeepFool({ norm }).run({ pixels: input, count: COUNT, labels, targets: null }, ctx);
        assert.deepEqual(input, pixels, 'the batch is not modified');
        const adv = ctx.isAdversarial(await ctx.classifier.scores(out.adversarial, COUNT), labels, null);
        assert.deepEqual(adv, new Array(COUNT).fill(true));
        for (let i = 0; i < COUNT; i++) {
          const expected = expectedPerturbation(i, norm);
          for (let j = 0; j < PER; j++) {
            const x = out.adversarial[i * PER + j];
            assert.ok(x > 0 && x < 1, 'precondition: no clipping on this model');
            assert.ok(
              Math.abs(x - pixels[i * PER + j] - expected[j]) < 2e-5,
              `image ${i} pixel ${j}: ${x - pixels[i * PER + j]} vs ${expected[j]}`,
            );
          }
          // One forward for the candidates, one gradient row per other class, one forward to confirm.
          assert.equal(out.queries[i], 1 + (CLASSES - 1) + 1);
        }
      } finally {
        await close();
      }
    });
  }

  test('top-5: every label leaves the top 5, inside the range; runs are deterministic', async () => {
    const { ctx, close } = await open('top5');
    try {
      const run = () => createDeepFool({}).run({ pixels, count: COUNT, labels, targets: null }, ctx);
      const [a, b] = [await run(), await run()];
      assert.deepEqual(a.adversarial, b.adversarial);
      assert.deepEqual(a.queries, b.queries);
      const scores = await ctx.classifier.scores(a.adversarial, COUNT);
      for (let i = 0; i < COUNT; i++) {
        assert.ok(!topK(scores.subarray(i * CLASSES, (i + 1) * CLASSES), 5).includes(labels[i]), `image ${i}: label still in the top 5`);
      }
      for (const v of a.adversarial) assert.ok(v >= 0 && v <= 1);
      const top1 = perturbationNorms(a.adversarial, pixels, COUNT).l2;
      const l2Top1 = Array.from({ length: COUNT }, (_, i) => Math.hypot(...expectedPerturbation(i, 'l2')));
      for (let i = 0; i < COUNT; i++) assert.ok(top1[i] > l2Top1[i], 'leaving the top 5 costs more than leaving the top 1');
    } finally {
      await close();
    }
  });

  test('clips to the range when the step would leave it, and still reports every image', async () => {
    const { ctx, close } = await open('top1');
    try {
      const bright = Float32Array.from(pixels, (v, j) => (j % 3 === 0 ? 1 : v));
      const brightLabels = Array.from({ length: COUNT }, (_, i) => topK(logitsOf(bright, i), 1)[0]);
      const out = await createDeepFool({ steps: 3 }).run({ pixels: bright, count: COUNT, labels: brightLabels, targets: null }, ctx);
      assert.equal(out.adversarial.length, COUNT * PER);
      for (const v of out.adversarial) assert.ok(v >= 0 && v <= 1);
    } finally {
      await close();
    }
  });

  test('an aborted run returns the clean images; targets are refused; an empty batch is fine', async () => {
    const controller = new AbortController();
    controller.abort();
    const { ctx, close } = await open('top1', controller.signal);
    try {
      const out = await createDeepFool({}).run({ pixels, count: COUNT, labels, targets: null }, ctx);
      assert.deepEqual(out.adversarial, pixels);
      assert.deepEqual(Array.from(out.queries), new Array(COUNT).fill(1));
      await assert.rejects(
        createDeepFool({}).run({ pixels, count: COUNT, labels, targets: labels.map((l) => (l + 1) % CLASSES) }, ctx),
        /deepfool: targets given/,
      );
      const empty = await createDeepFool({}).run({ pixels: new Float32Array(0), count: 0, labels: [], targets: null }, ctx);
      assert.equal(empty.adversarial.length, 0);
    } finally {
      await close();
    }
  });
});

/** Every `stride`-th reference image. */
const every = (stride: number) => Array.from({ length: Math.ceil(500 / stride) }, (_, i) => i * stride);

interface Measured {
  success: number;
  attackedAccuracy: number;
  medianL2: number;
  medianLinf: number;
  imagesPerSecond: number;
  l2: Float64Array;
  linf: Float64Array;
  broken: boolean[];
  refL2: (number | null)[];
}

async function measure(model: string, opts: { norm: 'l2' | 'linf'; indices?: number[]; criterion?: Criterion }): Promise<Measured> {
  const f = await attackFixture(model, { ...(opts.indices ? { indices: opts.indices } : {}), criterion: opts.criterion ?? 'top1' });
  try {
    const b = correctBatch(f);
    const count = b.labels.length;
    const start = performance.now();
    const out = await createDeepFool({ norm: opts.norm }).run({ pixels: b.pixels, count, labels: b.labels, targets: null }, f.ctx);
    const seconds = (performance.now() - start) / 1000;
    for (const v of out.adversarial) assert.ok(v >= 0 && v <= 1, 'inside the range');
    const scores = await f.ctx.classifier.scores(out.adversarial, count);
    const classes = scores.length / count;
    const k = opts.criterion === 'top5' ? 5 : 1;
    const broken = b.labels.map((label, i) => !topK(scores.subarray(i * classes, (i + 1) * classes), k).includes(label));
    const { l2, linf } = perturbationNorms(out.adversarial, b.pixels, count);
    const ok = broken.flatMap((x, i) => (x ? [i] : []));
    const ref = attackReference(model).attacks['DeepFool (original algorithm)'].l2_per_image!;
    return {
      success: ok.length / count,
      attackedAccuracy: (count - ok.length) / f.indices.length,
      medianL2: median(ok.map((i) => l2[i])),
      medianLinf: median(ok.map((i) => linf[i])),
      imagesPerSecond: count / seconds,
      l2,
      linf,
      broken,
      refL2: b.positions.map((pos) => ref[f.indices[pos]]),
    };
  } finally {
    await f.close();
  }
}

function report(t: { diagnostic(s: string): void }, what: string, m: Measured, extra = ''): void {
  t.diagnostic(
    `${what}: success ${(100 * m.success).toFixed(1)} %, attacked accuracy ${m.attackedAccuracy.toFixed(3)}, median L2 ${m.medianL2.toFixed(4)}, median L∞ ${m.medianLinf.toFixed(4)}, ${m.imagesPerSecond.toFixed(1)} images/s${extra}`,
  );
}

/** Bars against the reference "DeepFool (original algorithm)" rows, on the images of the selection. */
function checkAgainstReference(m: Measured, what: string): { refMedian: number; agree: number } {
  assert.ok(m.success >= 0.99, `${what}: success ${m.success} < 99 %`);
  const refMedian = median(m.refL2.filter((v): v is number => v !== null));
  assert.ok(m.medianL2 <= 1.05 * refMedian, `${what}: median L2 ${m.medianL2} > 1.05 × reference ${refMedian}`);
  // Same algorithm, same trajectory: per image, the L2 norms agree closely.
  const both = m.refL2.flatMap((r, i) => (r !== null && m.broken[i] ? [m.l2[i] / r] : []));
  const agree = both.filter((ratio) => Math.abs(ratio - 1) < 0.01).length / both.length;
  assert.ok(agree >= 0.99, `${what}: only ${(100 * agree).toFixed(1)} % of images within 1 % of the reference L2`);
  return { refMedian, agree };
}

describe('on the shared models', { skip: SKIP_NO_SHARED }, () => {
  test("mnist-cnn, L2, all 500 images: ≥ 99 % success, median L2 within 5 % of the original algorithm's", async (t) => {
    const m = await measure('mnist-cnn', { norm: 'l2' });
    const { refMedian, agree } = checkAgainstReference(m, 'mnist-cnn');
    report(
      t,
      'mnist-cnn L2',
      m,
      ` (reference median ${refMedian.toFixed(4)}, ${(100 * agree).toFixed(1)} % of images within 1 % of its L2)`,
    );
  });

  test("fashion-resnet, L2, every 4th image: ≥ 99 % success, median L2 within 5 % of the original algorithm's", async (t) => {
    const m = await measure('fashion-resnet', { norm: 'l2', indices: every(4) });
    const { refMedian, agree } = checkAgainstReference(m, 'fashion-resnet');
    report(
      t,
      'fashion-resnet L2',
      m,
      ` (reference median ${refMedian.toFixed(4)}, ${(100 * agree).toFixed(1)} % of images within 1 % of its L2)`,
    );
  });

  test('mnist-mlp, L∞, all 500 images: ≥ 99 % success, a far smaller L∞ than the L2 variant, consistent with PGD-40', async (t) => {
    const m = await measure('mnist-mlp', { norm: 'linf' });
    const ref = attackReference('mnist-mlp').attacks;
    const l2Variant = ref['DeepFool (original algorithm)'] as unknown as {
      linf_successful: { median: number };
      l2_successful: { median: number };
    };
    assert.ok(m.success >= 0.99, `success ${m.success}`);
    assert.ok(
      m.medianLinf < 0.6 * l2Variant.linf_successful.median,
      `median L∞ ${m.medianLinf} vs the L2 variant's ${l2Variant.linf_successful.median}`,
    );
    assert.ok(m.medianL2 > l2Variant.l2_successful.median, 'the L2 variant has the smaller L2');
    // A minimal L∞ perturbation within ε is an adversarial example within ε: the share broken within ε = 0.1
    // cannot be far above what PGD-40 reaches at that ε, and a working DeepFool-L∞ gets close to it.
    const pgd = ref['PGD-40 eps=0.1'].attack_success_rate_on_correct;
    const within = m.broken.filter((b, i) => b && m.linf[i] <= 0.1 + 1e-6).length / m.broken.length;
    assert.ok(within <= pgd + 0.02 && within >= 0.8 * pgd, `broken within L∞ 0.1: ${within} vs PGD-40's ${pgd}`);
    report(t, 'mnist-mlp L∞', m, ` (share broken within L∞ 0.1: ${within.toFixed(3)}, PGD-40 ε=0.1: ${pgd})`);
  });

  test('mnist-cnn, top-5 criterion, every 5th image: ≥ 99 % of labels leave the top 5, at a larger L2 than top-1', async (t) => {
    const m = await measure('mnist-cnn', { norm: 'l2', indices: every(5), criterion: 'top5' });
    assert.ok(m.success >= 0.99, `success ${m.success}`);
    const refMedian = median(m.refL2.filter((v): v is number => v !== null));
    assert.ok(m.medianL2 > refMedian, `top-5 median L2 ${m.medianL2} vs top-1 ${refMedian}`);
    report(t, 'mnist-cnn L2 top-5', m, ` (top-1 reference median on these images ${refMedian.toFixed(4)})`);
  });
});
