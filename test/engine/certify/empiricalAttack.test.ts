/**
 * The empirical attack on the smoothed classifier (certify's AutoAttack-rand rows): the Gaussian EOT gradient
 * against the mean of per-draw gradients; on a linear two-class model — whose smoothed classifier has the same
 * hyperplane as its decision boundary — the broken images against the closed form distance/radius; the
 * section's validator against malformed rows; and a certify run end to end: empirical ≥ certified.
 */
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GaussianEotGradient } from '../../../src/engine/certify/gaussianEot';
import { attackSmoothed } from '../../../src/engine/certify/empiricalAttack';
import { gradientProvider } from '../../../src/engine/attacks/context';
import { CostCounter } from '../../../src/engine/attacks/costCounter';
import type { GradientSource } from '../../../src/engine/grad/estimatedGradient';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { runCertifyJob } from '../../../src/engine/jobs/certifyJob';
import { contradictionWarnings } from '../../../src/engine/certify/empiricalStage';
import { certificationLines } from '../../../src/cli/formatCertify';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { sessionOptionsFor } from '../../../src/engine/runtime/modelSession';
import { Rng } from '../../../src/engine/util/random';
import { certifiedAccuracyAt, empiricalProblem, type CertificationSection, type EmpiricalRow } from '../../../src/protocol/certification';
import { linearTwoClass, marginOf, PER, writeImageFolder } from './linearModel';

test('Gaussian EOT: the gradient is the mean of the per-draw gradients at x + σε, the scores the log mean softmax', async () => {
  const per = 3,
    count = 2,
    m = 5,
    sigma = 0.3;
  // A nonlinear base: loss = Σ cos(x_j)·(label + 1), gradient −sin(x_j)·(label + 1), logits (Σx, −Σx).
  const base: GradientSource = {
    kind: 'analytic',
    head: { kind: 'cross-entropy' },
    compute: async (x, n, extra = {}) => {
      const loss = new Float32Array(n),
        grad = new Float32Array(n * per),
        logits = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const k = Number(extra.labels![i]) + 1;
        for (let j = 0; j < per; j++) {
          loss[i] += Math.cos(x[i * per + j]) * k;
          grad[i * per + j] = -Math.sin(x[i * per + j]) * k;
          logits[2 * i] += x[i * per + j];
        }
        logits[2 * i + 1] = -logits[2 * i];
      }
      return { loss, grad, logits };
    },
    dispose: async () => undefined,
  };
  const x = Float32Array.of(0.1, 0.5, 0.9, 0.3, 0.2, 0.7);
  const labels = [0, 1];
  const eot = new GaussianEotGradient(base, { sigma, draws: m, rng: new Rng(42), baseKind: 'logits' });
  const r = await eot.compute(x, count, { labels });
  // Reference: the same seed's normals in the documented order (image, draw, pixel), each draw's gradient by hand.
  const rng = new Rng(42);
  for (let i = 0; i < count; i++) {
    const g = new Float64Array(per);
    let loss = 0,
      p0 = 0;
    for (let q = 0; q < m; q++) {
      let s = 0;
      for (let j = 0; j < per; j++) {
        const v = Math.fround(x[i * per + j] + sigma * rng.normal());
        g[j] += (-Math.sin(v) * (labels[i] + 1)) / m;
        loss += (Math.cos(v) * (labels[i] + 1)) / m;
        s += v;
      }
      p0 += 1 / (1 + Math.exp(-2 * s)) / m;
    }
    for (let j = 0; j < per; j++)
      assert.ok(Math.abs(r.grad[i * per + j] - g[j]) < 1e-5, `grad ${i},${j}: ${r.grad[i * per + j]} vs ${g[j]}`);
    assert.ok(Math.abs(r.loss[i] - loss) < 1e-5, `loss ${i}`);
    assert.ok(Math.abs(Math.exp(r.logits[2 * i]) - p0) < 1e-5, `mean softmax ${i}: ${Math.exp(r.logits[2 * i])} vs ${p0}`);
  }
  // Fresh noise on every call.
  const again = await eot.compute(x, count, { labels });
  assert.notDeepEqual(Array.from(again.grad), Array.from(r.grad));
});

describe('the empirical attack on a smoothed linear classifier', () => {
  const model = linearTwoClass(3, true);
  let dir: string, classifier: Classifier;
  let gradients: ReturnType<typeof gradientProvider>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rl-smooth-attack-'));
    writeFileSync(join(dir, 'linear.onnx'), model.bytes);
    const prepared = await prepareModel({
      modelPath: join(dir, 'linear.onnx'),
      overrides: { runtime: { executionProvider: 'cpu', threads: 1, batchSize: 1000 } },
    });
    classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
    await classifier.scores(new Float32Array(PER), 1);
    const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, 2);
    gradients = gradientProvider(
      classifier,
      builder,
      'analytic',
      { ...sessionOptionsFor(prepared.config.runtime), maxBatch: 1000, label: 'linear' },
      0,
    );
  });
  after(async () => {
    await gradients.dispose();
    await classifier.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('breaks exactly the images whose distance to the hyperplane, margin/‖w₀ − w₁‖, is below the radius', async () => {
    // Points at signed distance d from the boundary along its normal, from a base point on it.
    const mid = new Float32Array(PER).fill(0.5);
    const { margin, norm } = marginOf(model, mid);
    const u = Float32Array.from({ length: PER }, (_, j) => (model.W[j] - model.W[PER + j]) / norm);
    const onPlane = Float32Array.from(mid, (v, j) => v - (margin / norm) * u[j]);
    const distances = [0.04, -0.05, 0.08, -0.1, 0.2, -0.22, 0.25, -0.24];
    const radii = [0.12, 0.16];
    const pixels = new Float32Array(distances.length * PER);
    distances.forEach((d, i) => onPlane.forEach((v, j) => (pixels[i * PER + j] = v + d * u[j])));
    // The closed form's best example, x − sign(d)·r·u (straight across the boundary), lies inside [0,1] at every
    // radius, so clipping does not bar the way the hyperplane's distance promises.
    for (const r of [0.12, 0.16])
      distances.forEach((d, i) =>
        u.forEach((uj, j) => {
          const v = pixels[i * PER + j] - Math.sign(d) * r * uj;
          assert.ok(v > 0 && v < 1, `image ${i}, pixel ${j}: ${v}`);
        }),
      );
    const labels = distances.map((_, i) => (marginOf(model, pixels.subarray(i * PER, (i + 1) * PER)).margin >= 0 ? 0 : 1));
    const counter = new CostCounter();
    const r = await attackSmoothed(classifier, gradients, pixels, labels, {
      sigma: 0.03,
      n: 2000,
      alpha: 0.001,
      batch: 1000,
      radii,
      steps: 10,
      eotDraws: 8,
      baseKind: 'logits',
      attackSeed: 1,
      eotSeed: 2,
      predictSeed: (i) => 100 + i,
      counter,
    });
    radii.forEach((radius, k) => {
      const closed = distances.map((d) => Math.abs(d) >= radius);
      assert.deepEqual(r.robust[k], closed, `radius ${radius}: robust ${JSON.stringify(r.robust[k])}`);
      // A broken image's PREDICT names the other class (the example lies well past the boundary).
      r.prediction[k].forEach((p, i) => assert.equal(p, closed[i] ? labels[i] : 1 - labels[i]));
    });
    assert.ok(counter.gradient > 0 && counter.forward >= distances.length * 2000);
  });
});

describe('empirical rows: the validator', () => {
  const row = (over: Partial<EmpiricalRow> = {}): EmpiricalRow => ({
    radius: 0.25,
    attacked: 2,
    robust: [true, false],
    prediction: [1, null],
    empiricalAccuracy: 0.5,
    certifiedAccuracy: 0.5,
    contradictions: 0,
    certifiedAbstained: 0,
    ...over,
  });
  const section = (rows: unknown[]) =>
    ({
      attack: {
        attacks: ['APGD-CE'],
        norm: 'l2',
        radii: [0.25],
        steps: 10,
        restarts: 1,
        eotDraws: 20,
        gradient: 'analytic',
        note: 'n',
      },
      runs: [{ empirical: { rows, seconds: 1, gradientPasses: 10, forwardPasses: 10, seed: 3 } }],
    }) as unknown as CertificationSection;

  it('accepts a well-formed row and rejects malformed ones, naming where', () => {
    assert.equal(empiricalProblem(section([row()])), null);
    const bad: [unknown, RegExp][] = [
      [row({ robust: [true] }), /one robust flag and one prediction per attacked image/],
      [row({ empiricalAccuracy: 1 }), /not the share of robust images/],
      [row({ radius: -1 }), /radius/],
      [row({ prediction: [1, 'x' as unknown as number] }), /prediction\[1\]/],
      [row({ contradictions: 2, certifiedAbstained: 1 }), /more contradictions/],
      [{ ...row(), extra: 1 }, /extra/],
      [(({ certifiedAccuracy: _c, ...r }) => r)(row()), /certifiedAccuracy/],
    ];
    for (const [value, why] of bad) {
      const problem = empiricalProblem(section([value]));
      assert.ok(problem && why.test(problem) && problem.includes('runs[0].empirical.rows[0]'), `${JSON.stringify(value)}: ${problem}`);
    }
    assert.match(empiricalProblem({ ...section([row()]), attack: { note: 'x' } as never }) ?? '', /attack/);
  });

  it('a contradiction (certified at ≥ r, broken at r with another class named) is a report warning and a CLI flag', () => {
    const s = {
      ...section([row({ contradictions: 1 }), row({ radius: 0.5 })]),
      kind: 'certification',
      params: { alpha: 0.001, preset: 'fast', n0: 1, n: 2, sigmas: [0.25], noiseNote: 'noise' },
      images: { file: ['a', 'b'], label: [0, 1] },
    } as unknown as CertificationSection;
    Object.assign(s.runs[0], { sigma: 0.25, radius: [0.3, null], correct: [true, false], abstentionRate: 0.5, totalSeconds: 1 });
    const warnings = contradictionWarnings(s);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /σ = 0\.25, radius 0\.25, .* on 1 of 2 image\(s\) certified at that radius or more/);
    assert.ok(certificationLines(s).some((l) => /⚠ σ = 0\.25, r = 0\.25: 1 image\(s\) certified at r or more were broken/.test(l)));
  });
});

test('certify --preset fast with the attack: empirical ≥ certified at each radius, up to the counted contradictions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-certify-attack-'));
  try {
    const model = linearTwoClass();
    writeFileSync(join(dir, 'linear.onnx'), model.bytes);
    writeImageFolder(join(dir, 'images'), model, 10);
    const report = await runCertifyJob(
      {
        modelPath: join(dir, 'linear.onnx'),
        overrides: { images: join(dir, 'images'), runtime: { executionProvider: 'cpu', threads: 1 } },
      },
      { preset: 'fast', sigmas: [0.12, 0.25], n0: 50, n: 400, alpha: 0.001, attack: { radii: [0.5, 0.25], steps: 10, eotDraws: 8 } },
    );
    const s = report.sections.certification as CertificationSection;
    assert.equal(empiricalProblem(s), null);
    assert.deepEqual(s.attack?.radii, [0.25, 0.5]);
    assert.equal(s.attack?.gradient, 'analytic');
    for (const run of s.runs) {
      const e = run.empirical!;
      assert.equal(e.rows.length, 2);
      assert.ok(e.gradientPasses > 0 && e.forwardPasses > 0 && e.seconds > 0);
      for (const row of e.rows) {
        assert.equal(row.attacked, 10);
        assert.equal(row.certifiedAccuracy, certifiedAccuracyAt(run, row.radius));
        assert.ok(row.empiricalAccuracy + row.contradictions / row.attacked >= row.certifiedAccuracy, `σ ${run.sigma} r ${row.radius}`);
      }
      // A larger radius never has more robust images (an example at r counts at every larger radius).
      e.rows[1].robust.forEach((b, i) => assert.ok(!b || e.rows[0].robust[i]));
    }
    assert.ok(report.timings.empiricalAttack > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("certify with the attack, cancelled during the second batch's attack: every certified image kept, the empirical rows cover the first batch", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-certify-attack-cancel-'));
  try {
    const model = linearTwoClass();
    writeFileSync(join(dir, 'linear.onnx'), model.bytes);
    writeImageFolder(join(dir, 'images'), model, 10);
    const controller = new AbortController();
    let attackStages = 0;
    const report = await runCertifyJob(
      {
        modelPath: join(dir, 'linear.onnx'),
        overrides: { images: join(dir, 'images'), runtime: { executionProvider: 'cpu', threads: 1 } },
      },
      { preset: 'fast', sigmas: [0.25], n0: 20, n: 200, alpha: 0.001, attack: { radii: [0.25], steps: 5, eotDraws: 4 } },
      {
        signal: controller.signal,
        // Images come 8 to a batch: the second attack stage is the last 2 images'.
        onProgress: (p) => {
          if (p.stage.startsWith('attacking') && ++attackStages === 2) controller.abort();
        },
      },
    );
    assert.equal(report.status, 'partial');
    const s = report.sections.certification as CertificationSection;
    assert.equal(s.images.file.length, 10);
    assert.equal(s.runs[0].empirical!.rows[0].attacked, 8);
    assert.equal(empiricalProblem(s), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
