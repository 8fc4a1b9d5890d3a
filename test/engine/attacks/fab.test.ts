/**
 * FAB-T (Croce & Hein, ICML 2020) on affine classifiers z = W·x + c, where the linearisation is exact and the
 * minimal perturbation to the target's boundary has a closed form: the first step lands on x₀ + η·d* (d* the
 * minimal-norm projection onto the boundary, inside the box) and the final example's norm is the minimal norm
 * within 1e-3, in L∞ and L2, with the box [0, 1] inactive and active. Also: the target classes are the top
 * clean logits in order, the cost counters count exactly the calls made, and a cancel keeps what finished.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createFabT, fabRun, fabTargets, projectOntoHyperplane } from '../../../src/engine/attacks/fab';
import { attackContext, gradientProvider } from '../../../src/engine/attacks/context';
import { CostCounter } from '../../../src/engine/attacks/costCounter';
import type { AttackContext, Norm } from '../../../src/engine/attacks/types';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { Rng } from '../../../src/engine/util/random';
import { REFERENCE_DIR } from '../../helpers/referenceData';
import { attackPasses } from '../../../src/engine/analyse/passCounts';

const PER = 16;
const dir = mkdtempSync(join(tmpdir(), 'rl-fab-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** An affine classifier on 1×4×4 images with the given weights (classes × PER, float32-rounded) and biases. */
async function affineContext(W: Float32Array, c: Float32Array, seed = 1, counter?: CostCounter, signal?: AbortSignal) {
  const classes = c.length;
  const file = join(dir, `affine-${files++}.onnx`);
  writeFileSync(
    file,
    encodeModel(
      makeModel({
        opsetImports: [{ domain: '', version: 13 }],
        graph: {
          nodes: [makeNode('Flatten', ['x'], ['f']), makeNode('Gemm', ['f', 'W', 'b'], ['logits'], { transB: 1 })],
          inputs: [makeValueInfo('x', 'float32', ['N', 1, 4, 4])],
          outputs: [makeValueInfo('logits', 'float32', ['N', classes])],
          initializers: [makeTensor('W', [classes, PER], W), makeTensor('b', [classes], c)],
        },
      }),
    ),
  );
  const prepared = await prepareModel({ modelPath: file, overrides: { runtime: { executionProvider: 'cpu' } } });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  await classifier.scores(new Float32Array(PER).fill(0.5), 1);
  const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classes);
  const gradients = gradientProvider(
    classifier,
    builder,
    'analytic',
    { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: 'affine' },
    seed,
  );
  return {
    ctx: attackContext(classifier, gradients, 'top1', seed, signal, [0, 1], counter),
    close: async () => {
      await gradients.dispose();
      await classifier.dispose();
    },
  };
}

/** g = W_t − W_y and f₀ = z_t − z_y at x₀ (float64 from the float32 weights). */
function boundary(W: Float32Array, c: Float32Array, x0: Float32Array, y: number, t: number) {
  const g = Float64Array.from({ length: PER }, (_, q) => W[t * PER + q] - W[y * PER + q]);
  const f0 = g.reduce((s, v, q) => s + v * x0[q], 0) + c[t] - c[y];
  return { g, f0 };
}

/**
 * The minimal-norm δ with f₀ + g·δ = 0 and x₀ + δ in [0, 1], by an independent route: bisection on the
 * multiplier. Without the box it is the closed form (L2: −f₀·g/‖g‖², L∞: −f₀·sign(g)/‖g‖₁); with it, L2's
 * δ_q = clip(μ·g_q, −x₀_q, 1 − x₀_q) and L∞'s δ_q = clip(λ·sign(g_q), −x₀_q, 1 − x₀_q) for the μ or λ where
 * g·δ = −f₀ (g·δ grows monotonically in it).
 */
function minimalPerturbation(g: Float64Array, f0: number, x0: Float32Array, norm: Norm): Float64Array {
  const s = f0 < 0 ? 1 : -1; // the direction g·δ must move in
  const delta = (m: number) =>
    Float64Array.from(g, (gq, q) => Math.min(Math.max(s * m * (norm === 'l2' ? gq : Math.sign(gq)), -x0[q]), 1 - x0[q]));
  const reach = (m: number) => s * delta(m).reduce((acc, d, q) => acc + d * g[q], 0);
  let lo = 0;
  let hi = 1;
  while (reach(hi) < Math.abs(f0)) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (reach(mid) < Math.abs(f0)) lo = mid;
    else hi = mid;
  }
  return delta(hi);
}

const size = (d: ArrayLike<number>, norm: Norm) =>
  norm === 'l2' ? Math.hypot(...Array.from(d)) : Math.max(...Array.from(d, (v) => Math.abs(v)));

test('projectOntoHyperplane: the closed forms without the box (L2 along w, L∞ along sign(w)), the bisection with it', () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 20; trial++) {
    const x = Float32Array.from({ length: PER }, () => (trial < 10 ? 0.4 + 0.2 * rng.next() : rng.next()));
    const w = Float64Array.from({ length: PER }, () => rng.normal());
    const wx = w.reduce((s, v, q) => s + v * x[q], 0);
    // Small moves (the box stays inactive) for the first ten, large ones (it clips) for the rest.
    const b = wx + (trial < 10 ? 0.05 : 2) * (trial % 2 ? 1 : -1);
    for (const norm of ['l2', 'linf'] as const) {
      const d = projectOntoHyperplane(x, w, b, norm, 0, 1, new Float64Array(PER));
      const expected = minimalPerturbation(w, wx - b, x, norm);
      if (trial < 10) {
        const r = b - wx;
        const closed =
          norm === 'l2'
            ? Array.from(w, (v) => (r * v) / w.reduce((s, u) => s + u * u, 0))
            : Array.from(w, (v) => (r * Math.sign(v)) / w.reduce((s, u) => s + Math.abs(u), 0));
        closed.forEach((v, q) => assert.ok(Math.abs(d[q] - v) < 1e-12, `${norm} trial ${trial} q ${q}: ${d[q]} vs ${v}`));
      }
      expected.forEach((v, q) => assert.ok(Math.abs(d[q] - v) < 1e-9, `${norm} trial ${trial} q ${q}: ${d[q]} vs ${v}`));
      d.forEach((v, q) => assert.ok(x[q] + v >= -1e-12 && x[q] + v <= 1 + 1e-12, 'inside the box'));
    }
  }
});

test('projectOntoHyperplane: a hyperplane out of the box’s reach gives the far corner; w = 0 coordinates stay; NaN, no move', () => {
  const x = Float64Array.of(0.2, 0.5, 0.9, 0.5);
  const w = Float64Array.of(1, -2, 0.5, 0);
  for (const norm of ['l2', 'linf'] as const) {
    const d = projectOntoHyperplane(x, w, 100, norm, 0, 1, new Float64Array(4));
    assert.deepEqual(Array.from(d), [1 - 0.2, -0.5, 1 - 0.9, 0]);
    // A non-finite logit difference (b) is no hyperplane: no move.
    assert.deepEqual(Array.from(projectOntoHyperplane(x, w, NaN, norm, 0, 1, new Float64Array(4).fill(7))), [0, 0, 0, 0]);
  }
});

/** A two-class affine model for the other tests. */
function twoClass(seed: number) {
  const rng = new Rng(seed);
  const W = Float32Array.from({ length: 2 * PER }, () => rng.normal());
  const c = Float32Array.of(0, 0);
  return { W, c };
}

interface FabReference {
  cases: { norm: Norm; box: boolean; W: number[]; c: number[]; x0: number[]; first: number[]; final: number[] }[];
}
/** The authors' FAB on the same affine models (scripts/reference/fab_reference.py; no ../shared needed). */
const reference = JSON.parse(readFileSync(resolve(REFERENCE_DIR, 'fab.json'), 'utf8')) as FabReference;

for (const r of reference.cases) {
  test(`FAB-T ${r.norm}${r.box ? ', clipping to [0, 1] active' : ''}: the first step is x₀ + η·d*, the result's norm the minimal one, as the authors'`, async () => {
    const W = Float32Array.from(r.W);
    const c = Float32Array.from(r.c);
    const x0 = Float32Array.from(r.x0);
    const { g, f0 } = boundary(W, c, x0, 0, 1);
    assert.ok(f0 < 0, 'class 0 is the prediction');
    const dStar = minimalPerturbation(g, f0, x0, r.norm);
    const unconstrained = r.norm === 'l2' ? Math.hypot(...g) : g.reduce((s, v) => s + Math.abs(v), 0);
    const free = Array.from(g, (v, q) => x0[q] - f0 * (r.norm === 'l2' ? v / unconstrained ** 2 : Math.sign(v) / unconstrained));
    assert.equal(
      free.some((v) => v < 0 || v > 1),
      r.box,
      r.box ? 'the box is active' : 'the box is inactive',
    );
    const { ctx, close } = await affineContext(W, c);
    try {
      const batch = { pixels: x0, count: 1, labels: [0], targets: null };
      const eps = r.norm === 'l2' ? 1000 : 1;
      const p = { norm: r.norm, eps, steps: 1, alphaMax: 0.1, eta: 1.05, beta: 0.9 };
      const first = await fabRun(batch, [0], [1], ctx, p, false);
      for (let q = 0; q < PER; q++) {
        const expected = Math.min(Math.max(x0[q] + p.eta * dStar[q], 0), 1);
        assert.ok(Math.abs(first.best[q] - expected) < 1e-5, `pixel ${q}: ${first.best[q]} vs the closed form ${expected}`);
        assert.ok(Math.abs(first.best[q] - r.first[q]) < 1e-5, `pixel ${q}: ${first.best[q]} vs the authors' ${r.first[q]}`);
      }
      const minimal = size(dStar, r.norm);
      const out = await createFabT({ norm: r.norm, eps, targets: 1 }).run(batch, ctx);
      const found = size(
        Array.from(x0, (v, q) => out.adversarial[q] - v),
        r.norm,
      );
      const authors = size(
        Array.from(x0, (v, q) => r.final[q] - v),
        r.norm,
      );
      assert.ok(Math.abs(found - minimal) < 1e-3 && found >= minimal - 1e-6, `‖δ‖ ${found} vs the minimal ${minimal}`);
      assert.ok(Math.abs(found - authors) < 1e-5, `‖δ‖ ${found} vs the authors' ${authors}`);
      const scores = await ctx.classifier.scores(out.adversarial, 1);
      assert.ok(scores[1] > scores[0], 'adversarial');
      // Bounded: with ε just below the minimal norm no example counts, and the clean image comes back.
      const bounded = await createFabT({ norm: r.norm, eps: minimal * 0.99, targets: 1 }).run(batch, ctx);
      assert.deepEqual(Array.from(bounded.adversarial), Array.from(x0));
    } finally {
      await close();
    }
  });
}

/** A six-class affine model and four images; every call of the gradient source is recorded. */
async function sixClass(counter?: CostCounter, signal?: AbortSignal) {
  const rng = new Rng(7);
  const W = Float32Array.from({ length: 6 * PER }, () => rng.normal());
  const c = Float32Array.of(1, 0.2, -0.1, 0.4, 0, -0.3);
  const pixels = Float32Array.from({ length: 4 * PER }, () => 0.3 + 0.4 * rng.next());
  const { ctx, close } = await affineContext(W, c, 2, counter, signal);
  const calls: { count: number; targets: number[] }[] = [];
  const traced: AttackContext = {
    ...ctx,
    gradient: async (head) => {
      const source = await ctx.gradient(head);
      return {
        ...source,
        compute: (x, count, extra) => {
          const cot = extra?.cotangent as Float32Array;
          calls.push({ count, targets: Array.from({ length: count }, (_, r) => [...cot.subarray(r * 6, r * 6 + 6)].indexOf(1)) });
          return source.compute(x, count, extra);
        },
      };
    },
  };
  return { ctx: traced, pixels, calls, close, W };
}

test('FAB-T aims at the 2nd, 3rd, … highest clean logits in order (the labels being the top class)', async () => {
  const { ctx, pixels, calls, close } = await sixClass();
  try {
    const clean = await ctx.classifier.scores(pixels, 4);
    const labels = [0, 1, 2, 3].map((i) => clean.subarray(i * 6, i * 6 + 6).indexOf(Math.max(...clean.subarray(i * 6, i * 6 + 6))));
    const order = labels.map((y, i) =>
      [0, 1, 2, 3, 4, 5]
        .filter((k) => k !== y)
        .sort((a, b) => clean[i * 6 + b] - clean[i * 6 + a])
        .slice(0, 3),
    );
    labels.forEach((y, i) => assert.deepEqual(fabTargets(clean.subarray(i * 6, i * 6 + 6), y, 3), order[i]));
    // ε far too small for any example: every image runs against every target, in order, each for all steps.
    const steps = 3;
    await createFabT({ eps: 1e-6, steps, targets: 3 }).run({ pixels, count: 4, labels, targets: null }, ctx);
    assert.equal(calls.length, 3 * steps);
    // The analyse estimate prices the same work per image (its bound: no image broken).
    const priced = attackPasses({ name: 'fab-t', params: { steps, targets: 3 } }, 6);
    assert.deepEqual(priced, { gradient: 3 * steps, forward: 1 + 3 * steps });
    assert.equal(
      calls.reduce((s, c) => s + c.count, 0),
      4 * priced.gradient,
    );
    calls.forEach((call, k) =>
      assert.deepEqual(
        call.targets,
        order.map((o) => o[Math.floor(k / steps)]),
        `call ${k}`,
      ),
    );
  } finally {
    await close();
  }
});

test('FAB-T cost: the counters and the per-image queries are exactly the calls made', async () => {
  const counter = new CostCounter();
  const { ctx, pixels, calls, close, W } = await sixClass(counter);
  try {
    const clean = await ctx.classifier.scores(pixels, 4);
    const before = counter.snapshot();
    const labels = [0, 1, 2, 3].map((i) => clean.subarray(i * 6, i * 6 + 6).indexOf(Math.max(...clean.subarray(i * 6, i * 6 + 6))));
    const steps = 4;
    // ε between the images' distances to their first target's boundary (|z_t − z_y| / ‖w_t − w_y‖, as FAB's first
    // step of an affine model): the nearest image breaks on it and leaves the later runs, the farthest does not.
    const distances = labels.map((y, i) => {
      const t = fabTargets(clean.subarray(i * 6, i * 6 + 6), y, 1)[0];
      const g = Array.from({ length: PER }, (_, q) => W[t * PER + q] - W[y * PER + q]);
      return (clean[i * 6 + y] - clean[i * 6 + t]) / Math.hypot(...g);
    });
    const eps = (Math.min(...distances) + Math.max(...distances)) / 2;
    const out = await createFabT({ norm: 'l2', eps, steps, targets: 5 }).run({ pixels, count: 4, labels, targets: null }, ctx);
    const rowsGradient = calls.reduce((s, c) => s + c.count, 0);
    assert.equal(counter.gradient - before.gradient, rowsGradient, 'gradient passes = rows of the gradient calls');
    // One clean forward per image, then one forward per gradient row (each step's check).
    assert.equal(counter.forward - before.forward, 4 + rowsGradient);
    assert.equal(
      out.queries.reduce((s, q) => s + q, 0),
      counter.gradient - before.gradient + counter.forward - before.forward,
    );
    const runs = calls.length / steps;
    assert.ok(
      rowsGradient < 4 * runs * steps && runs > 1,
      `some images left early (${rowsGradient} rows of ${4 * runs * steps}; ε ${eps})`,
    );
  } finally {
    await close();
  }
});

test('a cancel keeps the images already broken; the others come back clean', async () => {
  const controller = new AbortController();
  // Two classes; image 0 a hair from the boundary, image 1 far from it.
  const rng = new Rng(31);
  const W = Float32Array.from({ length: 2 * PER }, () => rng.normal());
  const g = Float64Array.from({ length: PER }, (_, q) => W[PER + q] - W[q]);
  const x0 = new Float32Array(2 * PER).fill(0.5);
  const norm1 = Math.hypot(...g);
  const gx = g.reduce((s, v) => s + 0.5 * v, 0);
  const c = Float32Array.of(0, Math.fround(-gx - 0.01 * norm1));
  for (let q = 0; q < PER; q++) x0[PER + q] = 0.5 - 0.4 * Math.sign(g[q]);
  const { ctx, close } = await affineContext(W, c, 1, undefined, controller.signal);
  let computeCalls = 0;
  const abortingCtx: AttackContext = {
    ...ctx,
    gradient: async (head) => {
      const source = await ctx.gradient(head);
      return {
        ...source,
        compute: (x, count, extra) => {
          // Cancel within the second run (restart 2): the first has finished.
          if (++computeCalls === 7) controller.abort();
          return source.compute(x, count, extra);
        },
      };
    },
  };
  try {
    const out = await createFabT({ norm: 'l2', eps: 0.05, steps: 5, targets: 1, restarts: 3 }).run(
      { pixels: x0, count: 2, labels: [0, 0], targets: null },
      abortingCtx,
    );
    assert.equal(computeCalls, 7, 'stopped after the cancel');
    const scores = await ctx.classifier.scores(out.adversarial, 2);
    assert.ok(scores[1] > scores[0], 'image 0, broken in the first run, is kept');
    assert.deepEqual(Array.from(out.adversarial.subarray(PER)), Array.from(x0.subarray(PER)), 'image 1 comes back clean');
  } finally {
    await close();
  }
});

test('FAB-T refuses given targets and runs classes − 1 targets on a small model, saying so', async () => {
  const { W, c } = twoClass(5);
  const { ctx, close } = await affineContext(W, c);
  try {
    const pixels = new Float32Array(PER).fill(0.5);
    const attack = createFabT({ steps: 2 });
    await assert.rejects(attack.run({ pixels, count: 1, labels: [0], targets: [1] }, ctx), /fab-t: targets given/);
    await attack.run({ pixels, count: 1, labels: [0], targets: null }, ctx);
    assert.equal(attack.params.fallback, '9 target classes asked, but the model has 2 classes, so at most 1 (classes − 1): ran 1');
  } finally {
    await close();
  }
});
