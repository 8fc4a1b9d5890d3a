/**
 * PREDICT and CERTIFY on a linear two-class ONNX model, where the smoothed probability has a closed form:
 * z₀ − z₁ at x + ε is N(m, σ²‖w₀ − w₁‖²), so P(class 0) = Φ(m / (σ‖w₀ − w₁‖)) exactly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { certifySmoothed, predictSmoothed, sampleCounts } from '../../../src/engine/certify/smoothing';
import { normalQuantile } from '../../../src/engine/certify/stats';
import { Rng } from '../../../src/engine/util/random';
import { linearTwoClass, marginOf, phi, PER } from './linearModel';

describe('randomized smoothing on a linear two-class model', () => {
  const model = linearTwoClass();
  let dir: string, classifier: Classifier;
  /** A point whose class-0 margin gives P(class 0 under noise σ) = target: x = x₀ + t·(w₀ − w₁). */
  const pointAt = (sigma: number, target: number): Float32Array => {
    const x0 = new Float32Array(PER).fill(0.5);
    const { margin, norm } = marginOf(model, x0);
    const wanted = sigma * norm * normalQuantile(target);
    const t = (wanted - margin) / (norm * norm);
    return Float32Array.from(x0, (v, j) => v + t * (model.W[j] - model.W[PER + j]));
  };
  const truth = (x: Float32Array, sigma: number) => {
    const { margin, norm } = marginOf(model, x);
    return phi(margin / (sigma * norm));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rl-smoothing-'));
    writeFileSync(join(dir, 'linear.onnx'), model.bytes);
    const prepared = await prepareModel({
      modelPath: join(dir, 'linear.onnx'),
      overrides: { runtime: { executionProvider: 'cpu', threads: 1, batchSize: 5000 } },
    });
    classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  });
  after(async () => {
    await classifier.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the vote share under noise matches Φ(margin / (σ‖w₀ − w₁‖))', async () => {
    const sigma = 0.25,
      x = pointAt(sigma, 0.8),
      n = 100_000;
    const counts = await sampleCounts(classifier, x, n, { sigma, batch: 5000, rng: new Rng(1) });
    const p = truth(x, sigma);
    assert.ok(Math.abs(p - 0.8) < 1e-4, `constructed point: ${p}`);
    // 5 standard deviations of a binomial share.
    assert.ok(Math.abs(counts[0] / n - p) < 5 * Math.sqrt((p * (1 - p)) / n), `share ${counts[0] / n} vs ${p}`);
    assert.equal(counts[0] + counts[1], n);
  });

  for (const [sigma, target] of [
    [0.12, 0.97],
    [0.25, 0.9],
    [0.5, 0.75],
  ])
    it(`CERTIFY at σ = ${sigma}: pA_lower ≤ P(A), radius ≤ σ·Φ⁻¹(P(A)) and close to it (n = 10⁵)`, async () => {
      const x = pointAt(sigma, target);
      const pTrue = truth(x, sigma);
      const r = await certifySmoothed(classifier, x, { n0: 100, n: 100_000, alpha: 0.001, sigma, batch: 5000, rng: new Rng(7) });
      assert.equal(r.prediction, 0);
      assert.ok(r.pALower <= pTrue, `pA_lower ${r.pALower} > P(A) ${pTrue}`);
      const bestRadius = sigma * normalQuantile(pTrue);
      assert.ok(r.radius !== null && r.radius <= bestRadius, `radius ${r.radius} > ${bestRadius}`);
      // The bound sits about 3.1 binomial standard deviations (plus sampling luck) below P(A).
      const sd = Math.sqrt((pTrue * (1 - pTrue)) / 100_000);
      assert.ok(pTrue - r.pALower < 6 * sd, `pA_lower ${r.pALower} too far below ${pTrue}`);
      assert.ok(bestRadius - r.radius < (sigma * 6 * sd) / (Math.exp(-0.5 * (bestRadius / sigma) ** 2) / Math.sqrt(2 * Math.PI)));
    });

  it('CERTIFY abstains when P(A) is below ½ + the bound; the class on the other side is certified', async () => {
    const sigma = 0.25;
    const near = await certifySmoothed(classifier, pointAt(sigma, 0.5), {
      n0: 100,
      n: 2000,
      alpha: 0.001,
      sigma,
      batch: 5000,
      rng: new Rng(2),
    });
    assert.equal(near.prediction, null);
    assert.equal(near.radius, null);
    assert.ok(near.pALower < 0.5);
    const other = await certifySmoothed(classifier, pointAt(sigma, 0.05), {
      n0: 100,
      n: 2000,
      alpha: 0.001,
      sigma,
      batch: 5000,
      rng: new Rng(2),
    });
    assert.equal(other.prediction, 1);
    assert.ok(other.radius! > 0);
  });

  it('PREDICT: a clear class is predicted with a small p-value; the balanced point abstains', async () => {
    const sigma = 0.25;
    const clear = await predictSmoothed(classifier, pointAt(sigma, 0.9), { n: 1000, alpha: 0.001, sigma, batch: 5000, rng: new Rng(4) });
    assert.equal(clear.prediction, 0);
    assert.ok(clear.pValue < 1e-6);
    assert.equal(clear.topCount + clear.runnerUpCount, 1000);
    const balanced = await predictSmoothed(classifier, pointAt(sigma, 0.5), { n: 1000, alpha: 0.001, sigma, batch: 5000, rng: new Rng(4) });
    assert.equal(balanced.prediction, null);
    assert.ok(balanced.pValue > 0.001);
  });

  it('is deterministic for a seed, whatever the batch size; another seed draws other noise', async () => {
    const sigma = 0.5,
      x = pointAt(sigma, 0.7);
    const run = (seed: number, batch: number) => sampleCounts(classifier, x, 3000, { sigma, batch, rng: new Rng(seed) });
    assert.deepEqual(await run(5, 5000), await run(5, 5000));
    assert.deepEqual(await run(5, 5000), await run(5, 77));
    assert.notDeepEqual(await run(5, 5000), await run(6, 5000));
  });

  it('stops between model calls when cancelled', async () => {
    const controller = new AbortController();
    let calls = 0;
    await assert.rejects(
      sampleCounts(classifier, pointAt(0.25, 0.7), 10_000, {
        sigma: 0.25,
        batch: 1000,
        rng: new Rng(1),
        signal: controller.signal,
        onSamples: () => {
          if (++calls === 2) controller.abort();
        },
      }),
      (e: Error & { code?: string }) => e.code === 'CANCELLED',
    );
    assert.equal(calls, 2);
  });
});
