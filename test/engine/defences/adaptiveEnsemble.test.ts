/**
 * `analyse --adaptive autoattack`: the AutoAttack ensemble as each defence's adaptive attack.
 *  - The EOT gradient source with a DLR head (untargeted and targeted) is the mean of the per-point DLR
 *    gradients at the defence's points: checked against central finite differences of the DLR loss of a
 *    linear model at each point, averaged by hand.
 *  - passCounts' ensemble count equals what the cost counters record when no image breaks (the bound is then
 *    the work done).
 *  - End to end on the sample model: per defence and row, the ensemble's adaptive defence rate is ≤ the
 *    APGD-CE-only one (same images, seed) and ≤ the non-adaptive one; the rows name the attacks and count
 *    what each broke.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adaptiveEnsemble, adaptiveEnsembleSpecs, ADAPTIVE_SQUARE_QUERIES } from '../../../src/engine/defences/adaptive';
import { EotGradient } from '../../../src/engine/defences/eotGradient';
import { averagingPoints, pointsPerImage, type DirectionSampler } from '../../../src/engine/defences/postAveraging';
import type { GradientSource } from '../../../src/engine/grad/estimatedGradient';
import type { GradientInputs } from '../../../src/engine/grad/gradientModel';
import type { LossHead } from '../../../src/engine/grad/lossHeads';
import type { ScoreModel } from '../../../src/engine/runtime/scoreModel';
import { adaptiveAttackPasses } from '../../../src/engine/analyse/passCounts';
import { CostCounter, countingGradient, countingModel } from '../../../src/engine/attacks/costCounter';
import { runAnalyseJob } from '../../../src/engine/jobs/analyseJob';
import type { DefencesSection } from '../../../src/engine/report/sections';
import { Rng } from '../../../src/engine/util/random';
import { ensembleBreaksText } from '../../../src/protocol/adaptiveEnsemble';

const PER = 6;
const CLASSES = 5;
/** A fixed linear model z = W x. */
const W = Array.from({ length: CLASSES }, (_, c) => Array.from({ length: PER }, (_, j) => Math.sin(1.7 * c + 0.9 * j + 0.3 * c * j)));
const logitsOf = (x: ArrayLike<number>) => W.map((row) => row.reduce((s, w, j) => s + w * x[j], 0));

/** DLR loss of one logit vector (Croce & Hein): the quantity attacks ascend. */
function dlr(z: number[], y: number, t: number | null): number {
  const sorted = [...z].sort((a, b) => b - a);
  if (t === null) {
    const other = Math.max(...z.filter((_, j) => j !== y));
    return -(z[y] - other) / (sorted[0] - sorted[2] + 1e-12);
  }
  return -(z[y] - z[t]) / (sorted[0] - (sorted[2] + sorted[3]) / 2 + 1e-12);
}

/** The base (undefended) gradient source: DLR of the linear model, its gradient by the chain rule through W. */
function linearDlrSource(head: LossHead & { kind: 'dlr' }): GradientSource {
  return {
    kind: 'analytic',
    head,
    compute: async (x: Float32Array, n: number, extra: GradientInputs = {}) => {
      const loss = new Float32Array(n);
      const grad = new Float32Array(n * PER);
      const logits = new Float32Array(n * CLASSES);
      for (let i = 0; i < n; i++) {
        const xi = Array.from(x.subarray(i * PER, (i + 1) * PER));
        const z = logitsOf(xi);
        logits.set(z, i * CLASSES);
        const y = extra.labels![i];
        const t = head.targeted ? extra.targets![i] : null;
        loss[i] = dlr(z, y, t);
        // ∂loss/∂z by central differences on the logits (exact enough: DLR is piecewise rational), then Wᵀ.
        const h = 1e-6;
        const dz = z.map((_, c) => {
          const up = [...z];
          const down = [...z];
          up[c] += h;
          down[c] -= h;
          return (dlr(up, y, t) - dlr(down, y, t)) / (2 * h);
        });
        for (let j = 0; j < PER; j++) grad[i * PER + j] = W.reduce((s, row, c) => s + row[j] * dz[c], 0);
      }
      return { loss, grad, logits };
    },
    dispose: async () => undefined,
  };
}

/** Fixed directions (the same on every call), so the test can rebuild the defence's points. */
const fixedDirections = (K: number): Float32Array =>
  Float32Array.from({ length: 2 * K * PER }, (_, q) => {
    const v = Math.cos(2.3 * q + 1);
    return v;
  });
const sampler: DirectionSampler = {
  kind: 'random',
  sample: async (_x, count, K) => {
    const one = fixedDirections(K).subarray(0, K * PER);
    const out = new Float32Array(count * K * PER);
    for (let i = 0; i < count; i++) out.set(one, i * K * PER);
    // Unit L2 norm per direction.
    for (let d = 0; d < count * K; d++) {
      let s = 0;
      for (let j = 0; j < PER; j++) s += out[d * PER + j] ** 2;
      for (let j = 0; j < PER; j++) out[d * PER + j] /= Math.sqrt(s);
    }
    return out;
  },
};

for (const targeted of [false, true])
  test(`EOT with a ${targeted ? 'targeted ' : ''}DLR head: the mean of the per-point DLR gradients (finite differences at each point)`, async () => {
    const K = 2;
    const radius = 0.05;
    const x = Float32Array.from({ length: 2 * PER }, (_, q) => 0.3 + 0.05 * ((q * 7) % 9));
    const labels = [1, 3];
    const targets = [4, 0];
    const eot = new EotGradient(linearDlrSource({ kind: 'dlr', targeted }), {
      K,
      radius,
      sampler,
      rng: new Rng(3),
      baseKind: 'logits',
    });
    const r = await eot.compute(x, 2, { labels, ...(targeted ? { targets } : {}) });
    const dirs = await sampler.sample(x, 2, K, new Rng(0));
    const pts = averagingPoints(x, 2, PER, dirs, K, radius);
    const P = pointsPerImage(K);
    for (let i = 0; i < 2; i++) {
      const want = new Float64Array(PER);
      for (let q = 0; q < P; q++) {
        const p = Array.from(pts.subarray((i * P + q) * PER, (i * P + q + 1) * PER));
        const f = (v: number[]) => dlr(logitsOf(v), labels[i], targeted ? targets[i] : null);
        for (let j = 0; j < PER; j++) {
          const h = 1e-5;
          const up = [...p];
          const down = [...p];
          up[j] += h;
          down[j] -= h;
          want[j] += (f(up) - f(down)) / (2 * h) / P;
        }
      }
      for (let j = 0; j < PER; j++)
        assert.ok(
          Math.abs(r.grad[i * PER + j] - want[j]) < 1e-3 * Math.max(1, Math.abs(want[j])),
          `image ${i} pixel ${j}: ${r.grad[i * PER + j]} vs ${want[j]}`,
        );
    }
  });

test('passCounts: the ensemble through low-pass costs what the cost counters record when no image breaks', async () => {
  const classes = 10;
  const per = 3 * 4 * 4;
  // Class 0 wins by a margin no budget overcomes: every attack runs its whole budget.
  const model = {
    pixelsPerSample: per,
    numClasses: classes,
    preprocessing: { height: 4, width: 4, channels: 'rgb', layout: 'NCHW', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
    scores: async (_x: Float32Array, n: number) => Float32Array.from({ length: classes * n }, (_, k) => (k % classes ? k % classes : 100)),
  } as unknown as ScoreModel;
  const source = (head: LossHead): GradientSource => ({
    kind: 'analytic',
    head,
    compute: async (_x, n) => ({
      loss: new Float32Array(n),
      grad: Float32Array.from({ length: n * per }, (_, q) => Math.sin(q)),
      logits: Float32Array.from({ length: classes * n }, (_, k) => (k % classes ? k % classes : 100)),
    }),
    dispose: async () => undefined,
  });
  const counter = new CostCounter();
  const counted = countingModel(model, counter);
  const n = 3;
  const pixels = new Float32Array(n * per).fill(0.5);
  const out = await adaptiveEnsemble(
    counted,
    { get: async (head) => countingGradient(source(head), counter) },
    pixels,
    [0, 0, 0],
    'linf',
    new Float64Array(n).fill(0.03),
    'top1',
    11,
    false,
  );
  assert.deepEqual(
    out.attacks.map((a) => [a.name, a.ranOn, a.broke]),
    adaptiveEnsembleSpecs('linf', 0.03, false).map((s) => [s.name, n, 0]),
  );
  assert.ok(out.attacks.some((a) => a.name === 'square'));
  // The caller's fresh verdict is the one defended classification passCounts adds outside the cascade.
  // Nothing breaks, so every attack runs on every image: the count's bound (survivors 1).
  const want = adaptiveAttackPasses('low-pass', 5, undefined, 'autoattack', classes, undefined, 1);
  assert.deepEqual({ forward: counter.forward / n + 1, gradient: counter.gradient / n }, want);
  assert.ok(want.forward >= ADAPTIVE_SQUARE_QUERIES);
});

const SAMPLE = join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx');
const analyse = (adaptiveAttack: 'apgd-ce' | 'autoattack') =>
  runAnalyseJob(
    { modelPath: SAMPLE, overrides: { limit: 12, runtime: { executionProvider: 'cpu', threads: 2, batchSize: 32 } } },
    {
      preset: 'fast',
      attacks: [{ name: 'fgsm', params: { eps: 0.05 } }],
      K: 5,
      radius: null,
      directions: 'random',
      cutoff: null,
      epsilons: [0.05],
      outDir: null,
      adaptiveImages: 6,
      adaptiveAttack,
      analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: false },
    },
  );

test('analyse --adaptive autoattack: per defence, the ensemble leaves no more robust than APGD-CE alone, nor than no adaptive attack', async () => {
  const apgd = await analyse('apgd-ce');
  const ens = await analyse('autoattack');
  assert.equal(ens.status, 'complete');
  const a = apgd.sections.defences as DefencesSection;
  const e = ens.sections.defences as DefencesSection;
  assert.equal(e.results.length, a.results.length);
  let reattacked = 0;
  e.results.forEach((res, d) => {
    const randomized = res.defence.kind === 'post-averaging';
    res.rows.forEach((row, r) => {
      const ea = row.adaptive!;
      const aa = a.results[d].rows[r].adaptive!;
      assert.ok(ea && aa, `${res.defence.kind}: adaptive rows in both runs`);
      assert.equal(ea.images, aa.images, 'the same examples re-attacked');
      reattacked += ea.images;
      assert.match(
        ea.label,
        randomized
          ? /^AutoAttack rand L∞ cascade \(APGD-CE-10 L∞ → APGD-DLR-10 L∞; EOT/
          : /^AutoAttack standard L∞ cascade \(APGD-CE-10 L∞ → APGD-T-10 L∞ → .*Square L∞/,
      );
      const names = ea.ensemble!.attacks.map((x) => x.name);
      assert.deepEqual(
        names,
        adaptiveEnsembleSpecs('linf', 0.05, randomized).map((s) => s.name),
      );
      if (ea.images > 0) {
        assert.equal(ea.ensemble!.attacks[0].ranOn, ea.images, 'the first attack runs on every re-attacked example');
        // The cascade: each attack runs on what the one before left.
        for (let k = 1; k < names.length; k++)
          assert.equal(ea.ensemble!.attacks[k].ranOn, ea.ensemble!.attacks[k - 1].ranOn - ea.ensemble!.attacks[k - 1].broke);
      }
      // The CLI and the panel name each attack with what it broke of what it ran on.
      const words = ensembleBreaksText(ea)!;
      for (const x of ea.ensemble!.attacks) assert.ok(words.includes(`${x.label} broke ${x.broke} of ${x.ranOn}`), words);
      if (ea.defenceRate !== null) {
        assert.ok(ea.defenceRate <= ea.nonAdaptiveDefenceRate!, `${res.defence.kind}: ensemble ≤ non-adaptive`);
        assert.ok(ea.defenceRate <= aa.defenceRate!, `${res.defence.kind}: ensemble ${ea.defenceRate} ≤ APGD-CE ${aa.defenceRate}`);
      }
      assert.equal(ea.seed, aa.seed, 'the same seed recorded');
    });
  });
  assert.ok(reattacked > 0, 'some examples were re-attacked');
});
