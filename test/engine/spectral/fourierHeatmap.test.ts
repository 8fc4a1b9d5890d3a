/** The Fourier heat map's basis and grid against closed forms: unit norm, one frequency (its DFT), the mirror pairs, the coarse grid. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fft2Real } from '../../../src/engine/spectral/fft';
import {
  defaultEpsilon,
  distinctCells,
  fourierBasis,
  frequencyGrid,
  mapSummary,
  mirrorFrequency,
} from '../../../src/engine/spectral/fourierHeatmap';

const mod = (a: number, n: number) => ((a % n) + n) % n;

test('the basis has unit L2 norm and is √(2/hw)·cos(2π(fy·y/h + fx·x/w)), or ±1/√(hw) where the frequency is its own mirror', () => {
  for (const [h, w, fy, fx] of [
    [8, 8, 1, 2],
    [8, 8, -3, 0],
    [8, 8, 0, 0],
    [8, 8, -4, -4],
    [8, 8, -4, 1],
    [7, 9, 3, -4],
    [28, 28, -14, 5],
    [6, 10, 2, -5],
  ]) {
    const u = fourierBasis(h, w, fy, fx);
    let sq = 0;
    for (const v of u) sq += v * v;
    assert.ok(Math.abs(sq - 1) < 1e-12, `${h}×${w} (${fy}, ${fx}): norm² ${sq}`);
    const selfMirror = mirrorFrequency(fy, h) === fy && mirrorFrequency(fx, w) === fx;
    const amp = selfMirror ? 1 / Math.sqrt(h * w) : Math.sqrt(2 / (h * w));
    // the sign of the normalised cosine: it is +amp at the origin
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const expect = amp * Math.cos(2 * Math.PI * ((fy * y) / h + (fx * x) / w));
        assert.ok(Math.abs(u[y * w + x] - expect) < 1e-12, `${h}×${w} (${fy}, ${fx}) at (${y}, ${x}): ${u[y * w + x]} vs ${expect}`);
      }
  }
});

test('the basis is exactly one frequency: its DFT is zero except at k and −k, with equal magnitudes there', () => {
  for (const [h, w, fy, fx] of [
    [8, 8, 1, 2],
    [8, 8, 3, -4],
    [9, 7, -4, 3],
    [12, 12, 0, 5],
  ]) {
    const F = fft2Real(fourierBasis(h, w, fy, fx), h, w);
    const k = mod(fy, h) * w + mod(fx, w),
      nk = mod(-fy, h) * w + mod(-fx, w);
    for (let i = 0; i < h * w; i++) {
      const mag = Math.hypot(F.re[i], F.im[i]);
      if (i === k || i === nk) assert.ok(mag > 0.1, `(${fy}, ${fx}): |F| at its own frequency ${mag}`);
      else assert.ok(mag < 1e-10, `(${fy}, ${fx}): |F| = ${mag} at index ${i}`);
    }
    assert.ok(Math.abs(Math.hypot(F.re[k], F.im[k]) - Math.hypot(F.re[nk], F.im[nk])) < 1e-10);
    // the Hermitian pair gives the same basis: the map is symmetric by construction
    const a = fourierBasis(h, w, fy, fx),
      b = fourierBasis(h, w, -fy, -fx);
    assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-12));
  }
});

test('the grid: every frequency up to maxSide a side, a stride beyond, centred like the spectra and closed under mirroring', () => {
  const g28 = frequencyGrid(28, 28);
  assert.equal(g28.stride, 1);
  assert.deepEqual(
    g28.fy,
    Array.from({ length: 28 }, (_, p) => p - 14),
  );
  // 28×28 cells, Hermitian pairs: the 4 self-mirrored ones (DC, the Nyquists) once, the rest in pairs
  assert.equal(distinctCells(g28, 28, 28).length, (28 * 28 - 4) / 2 + 4);
  const g224 = frequencyGrid(224, 224);
  assert.equal(g224.stride, 7);
  assert.equal(g224.fy.length, 32);
  assert.deepEqual(g224.fy.slice(0, 3), [-112, -105, -98]);
  assert.equal(g224.fy.at(-1), 105);
  for (const [h, w, side] of [
    [28, 28, 32],
    [224, 224, 32],
    [7, 9, 32],
    [100, 60, 16],
    [30, 30, 8],
    [33, 31, 10],
  ]) {
    const g = frequencyGrid(h, w, side);
    assert.ok(g.fy.length <= side && g.fx.length <= side, `${h}×${w}/${side}: ${g.fy.length}×${g.fx.length}`);
    // position p holds (p − ⌊m/2⌋)·stride: what the panel's centred axes assume
    for (const f of [g.fy, g.fx]) f.forEach((v, p) => assert.equal(v, (p - Math.floor(f.length / 2)) * g.stride, `${h}×${w}/${side}`));
    const cells = distinctCells(g, h, w);
    const covered = new Set(cells.flatMap((c) => [c.index, c.mirror]));
    assert.equal(covered.size, g.fy.length * g.fx.length, `${h}×${w}/${side}: every cell is computed or mirrored`);
    for (const c of cells) {
      const mr = Math.floor(c.mirror / g.fx.length),
        mc = c.mirror % g.fx.length;
      assert.equal(mod(g.fy[mr] + c.fy, h), 0);
      assert.equal(mod(g.fx[mc] + c.fx, w), 0);
    }
  }
});

test('default ε keeps Yin et al.’s per-pixel RMS: 4 at 32×32, 3.5 at 28×28, 28 at 224×224', () => {
  assert.equal(defaultEpsilon(32, 32), 4);
  assert.equal(defaultEpsilon(28, 28), 3.5);
  assert.equal(defaultEpsilon(224, 224), 28);
});

test('summary: mean over the computed cells, peak with ties to the lower frequency', () => {
  const grid = { fy: [-1, 0, 1], fx: [-1, 0, 1] };
  const s = mapSummary([0.2, 0.5, null, 0.1, 0, 0.1, null, 0.5, 0.2], grid);
  assert.ok(Math.abs(s.meanError! - 1.6 / 7) < 1e-12);
  assert.deepEqual(s.peak, { fy: -1, fx: 0, error: 0.5 });
  assert.deepEqual(mapSummary([null, null], { fy: [0], fx: [0, 1] }), { meanError: null, peak: null });
});
