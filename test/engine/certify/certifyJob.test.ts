/** The certify job end to end on a linear two-class ONNX model and a small PNG folder: report shape, seeds, determinism, cancel. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCertifyJob, type CertifyOptions } from '../../../src/engine/jobs/certifyJob';
import { certifiedAccuracyAt, type CertificationSection } from '../../../src/protocol/certification';
import { normalQuantile } from '../../../src/engine/certify/stats';
import { linearTwoClass, writeImageFolder } from './linearModel';

const IMAGES = 12;
const options: CertifyOptions = { preset: 'fast', sigmas: [0.12, 0.5], n0: 50, n: 400, alpha: 0.001 };

describe('certify job', () => {
  let dir: string;
  const req = () => ({
    modelPath: join(dir, 'linear.onnx'),
    overrides: { images: join(dir, 'images'), runtime: { executionProvider: 'cpu' as const, threads: 1 } },
  });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-certify-'));
    const model = linearTwoClass();
    writeFileSync(join(dir, 'linear.onnx'), model.bytes);
    writeImageFolder(join(dir, 'images'), model, IMAGES);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const strip = (s: CertificationSection) => ({ ...s, runs: s.runs.map(({ seconds: _s, totalSeconds: _t, ...r }) => r) });

  it('certifies every image at every σ; radii, curves and seeds are consistent; a second run is identical', async () => {
    const report = await runCertifyJob(req(), options);
    assert.equal(report.status, 'complete');
    assert.equal(report.command, 'certify');
    const s = report.sections.certification as CertificationSection;
    assert.equal(s.kind, 'certification');
    assert.equal(s.images.file.length, IMAGES);
    assert.deepEqual(
      s.runs.map((r) => r.sigma),
      [0.12, 0.5],
    );
    assert.ok(Object.keys(report.seeds).some((k) => k.startsWith('certify/noise')));
    for (const run of s.runs) {
      for (let i = 0; i < IMAGES; i++) {
        const p = run.prediction[i];
        if (p === null) assert.ok(run.pALower[i] < 0.5 && run.radius[i] === null);
        else assert.ok(Math.abs(run.radius[i]! - run.sigma * normalQuantile(run.pALower[i])) < 1e-12);
        assert.equal(run.correct[i], p === s.images.label[i]);
        // n = 400 cannot certify beyond σ·Φ⁻¹(alpha^(1/n)).
        assert.ok((run.radius[i] ?? 0) <= run.sigma * normalQuantile(Math.pow(0.001, 1 / 400)) + 1e-12);
      }
      assert.deepEqual(
        run.certifiedAccuracy,
        s.radii.map((r) => certifiedAccuracyAt(run, r)),
      );
      assert.ok(
        run.certifiedAccuracy.every((v, i) => i === 0 || v <= run.certifiedAccuracy[i - 1]),
        'non-increasing in r',
      );
    }
    // The images are labelled by the model's own clean class and the linear model is sharp at σ = 0.12.
    assert.ok(s.runs[0].certifiedAccuracy[0] > 0.5);
    const again = await runCertifyJob(req(), options);
    assert.deepEqual(strip(again.sections.certification as CertificationSection), strip(s));
    const otherSeed = await runCertifyJob({ ...req(), overrides: { ...req().overrides, seed: 5 } }, options);
    assert.notDeepEqual(
      (otherSeed.sections.certification as CertificationSection).runs.map((r) => r.pALower),
      s.runs.map((r) => r.pALower),
    );
  });

  it('a cancel keeps the finished images (every σ) and marks the report partial', async () => {
    const full = strip((await runCertifyJob(req(), options)).sections.certification as CertificationSection);
    const controller = new AbortController();
    const report = await runCertifyJob(req(), options, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 3) controller.abort();
      },
    });
    assert.equal(report.status, 'partial');
    const s = strip(report.sections.certification as CertificationSection);
    assert.equal(s.images.file.length, 3);
    for (const [i, run] of s.runs.entries()) {
      assert.equal(run.prediction.length, 3);
      assert.deepEqual(run.pALower, full.runs[i].pALower.slice(0, 3));
      assert.deepEqual(run.radius, full.runs[i].radius.slice(0, 3));
    }
    assert.deepEqual(s.images.file, full.images.file.slice(0, 3));
  });
});
