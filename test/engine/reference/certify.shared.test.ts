/**
 * Issue #16 item 1: our randomized-smoothing CERTIFY against the authors' (locuslab/smoothing, code/core.py) on the
 * same model, images, σ, n0, n and α — test/fixtures/reference/certify.json, made by
 * scripts/reference/certify_reference.py. The two draw different noise, so the figures agree statistically: the
 * certified accuracy at each radius of the reference's grid within ±2 pt of the reference's first seed (the issue's
 * tolerance). The reference's second seed shows the spread a different RNG alone gives.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { runCertifyJob } from '../../../src/engine/jobs/certifyJob';
import { certifiedAccuracyAt, type CertificationSection } from '../../../src/protocol/certification';
import { imageFolder, loadReference, sharedModelRequest } from '../../helpers/referenceData';

interface Reference {
  parameters: { n0: number; n: number; alpha: number };
  radii: number[];
  results: {
    model: string;
    sigma: number;
    images: string[];
    labels: number[];
    runs: { seed: number; certifiedAccuracy: number[] }[];
  }[];
}

const TOLERANCE = 0.02;
const { data: ref, skip } = loadReference<Reference>('certify.json');
const folders: string[] = [];
after(() => folders.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("certify vs the authors' CERTIFY (locuslab/smoothing)", { skip }, () => {
  const models = [...new Set((ref?.results ?? []).map((r) => r.model))];
  for (const model of models) {
    const rows = ref!.results.filter((r) => r.model === model);
    it(`${model}, σ ${rows.map((r) => r.sigma).join(', ')}: certified accuracy within ±2 pt at every radius`, async (t) => {
      const dir = imageFolder(rows[0].images);
      folders.push(dir);
      const { n0, n, alpha } = ref!.parameters;
      const report = await runCertifyJob(sharedModelRequest(model, dir), {
        preset: 'fast',
        sigmas: rows.map((r) => r.sigma),
        n0,
        n,
        alpha,
      });
      assert.equal(report.status, 'complete');
      const s = report.sections.certification as CertificationSection;
      assert.equal(s.images.file.length, rows[0].images.length, 'the same images');
      const off: string[] = [];
      const pct = (v: number) => (100 * v).toFixed(0);
      for (const row of rows) {
        const ours = s.runs.find((r) => r.sigma === row.sigma);
        assert.ok(ours, `σ ${row.sigma} certified`);
        t.diagnostic(
          `σ ${row.sigma} at r = ${ref!.radii.join(', ')}: ours ${ref!.radii.map((r) => pct(certifiedAccuracyAt(ours, r))).join(' ')} (${ours.totalSeconds.toFixed(1)} s); ` +
            row.runs.map((run) => `reference seed ${run.seed} ${run.certifiedAccuracy.map(pct).join(' ')}`).join('; '),
        );
        for (const [i, r] of ref!.radii.entries()) {
          const a = certifiedAccuracyAt(ours, r);
          const b = row.runs[0].certifiedAccuracy[i];
          if (Math.abs(a - b) > TOLERANCE + 1e-9)
            off.push(`σ ${row.sigma} r ${r}: ours ${(100 * a).toFixed(1)} %, reference ${(100 * b).toFixed(1)} %`);
        }
      }
      assert.deepEqual(off, [], 'certified accuracy differs by more than 2 pt');
    });
  }
});
