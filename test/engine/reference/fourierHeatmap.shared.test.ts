/**
 * Issue #16 item 2: our Fourier heat map against an independent one on the same models, images and ε —
 * test/fixtures/reference/fourier-heatmap.json, made by scripts/reference/fourier_heatmap_reference.py with the
 * basis of gatheluck/FourierHeatmap (fhmap/fourier/basis.py). The reference classifies every image under both
 * signs ±ε·U(k), so for each cell it knows the error of every possible sign draw: at least wrongBoth/N (images
 * wrong under both signs) and at most (wrongPlus + wrongMinus − wrongBoth)/N, expectation (wrongPlus + wrongMinus)/2N.
 * Our run draws one sign per image (its own seeded stream), so each of our cells must lie in that interval — a
 * check with no statistical slack — and averaged over the map it must be within 2 pt of the expectation.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { runFourierHeatmapJob } from '../../../src/engine/jobs/fourierHeatmapJob';
import type { FourierHeatmapSection } from '../../../src/engine/spectral/fourierHeatmap';
import { imageFolder, loadReference, sharedModelRequest } from '../../helpers/referenceData';

interface RefCell {
  ky: number;
  kx: number;
  wrongPlus: number;
  wrongMinus: number;
  wrongBoth: number;
}
interface Reference {
  parameters: { eps: number };
  results: { model: string; height: number; width: number; images: string[]; cleanWrong: number; cells: RefCell[] }[];
}

const { data: ref, skip } = loadReference<Reference>('fourier-heatmap.json');
const folders: string[] = [];
after(() => folders.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('Fourier heat map vs the reference (gatheluck/FourierHeatmap basis, both signs)', { skip }, () => {
  for (const r of ref?.results ?? []) {
    it(`${r.model}: every cell within the reference's range over the signs, the map within 2 pt of its expectation`, async (t) => {
      const dir = imageFolder(r.images);
      folders.push(dir);
      const report = await runFourierHeatmapJob(sharedModelRequest(r.model, dir), {
        epsilon: ref!.parameters.eps,
        maxSide: 32,
        cutoff: null,
        defences: [], // the model alone, as the reference maps it (the defended maps cost 91× for post-averaging)
      });
      assert.equal(report.status, 'complete');
      const s = report.sections.fourierHeatmap as FourierHeatmapSection;
      assert.equal(s.params.stride, 1, 'every frequency, as the reference');
      const n = r.images.length;
      assert.equal(s.params.images, n);
      const [m] = s.maps;
      assert.equal(Math.round(m.cleanError * n), r.cleanWrong, 'clean errors');

      const byKey = new Map(r.cells.map((c) => [`${c.ky},${c.kx}`, c]));
      // the half-plane cell of (fy, fx): itself for fx ≥ 0, else its mirror (−fy, −fx); −H/2 is its own mirror
      const half = (fy: number, fx: number): RefCell => {
        const [y, x] = fx >= 0 ? [fy, fx] : [fy === -r.height / 2 ? fy : -fy, -fx];
        const c = byKey.get(`${y === 0 ? 0 : y},${x}`);
        if (!c) throw new Error(`reference has no cell (${y}, ${x})`);
        return c;
      };
      const outside: string[] = [];
      let absSum = 0,
        maxAbs = 0,
        within2 = 0,
        cells = 0;
      s.fy.forEach((fy, i) =>
        s.fx.forEach((fx, j) => {
          const e = m.errorRate[i * s.fx.length + j];
          assert.ok(e !== null, `cell (${fy}, ${fx}) computed`);
          const c = half(fy, fx);
          const wrong = Math.round(e * n);
          const lo = c.wrongBoth,
            hi = c.wrongPlus + c.wrongMinus - c.wrongBoth;
          if (wrong < lo || wrong > hi) outside.push(`(${fy}, ${fx}): ours ${wrong}/${n}, reference range ${lo}…${hi}`);
          const d = Math.abs(e - (c.wrongPlus + c.wrongMinus) / (2 * n));
          absSum += d;
          maxAbs = Math.max(maxAbs, d);
          if (d <= 0.02 + 1e-9) within2++;
          cells++;
        }),
      );
      t.diagnostic(
        `${r.model}: ${cells} cells, ${within2}/${cells} within ±2 pt of the reference's expectation, mean |Δ| ${(100 * (absSum / cells)).toFixed(2)} pt, ` +
          `max |Δ| ${(100 * maxAbs).toFixed(1)} pt; our mean error ${(100 * (m.meanError ?? NaN)).toFixed(2)} %, ${m.seconds.toFixed(1)} s`,
      );
      assert.deepEqual(outside, [], `${outside.length} cells outside the range any sign draw can give`);
      const meanAbs = absSum / cells;
      assert.ok(meanAbs <= 0.02, `mean |ours − reference expectation| ${(100 * meanAbs).toFixed(2)} pt > 2 pt`);
    });
  }
});
