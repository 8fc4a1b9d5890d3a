/**
 * The fourier-heatmap job on a closed form: a two-class linear ONNX model on a low-pass-filtered input
 * (z = W·L(x), built as the filtered weights L(w): L is symmetric) cannot see frequencies above the cutoff,
 * so with images far enough from 0 and 1 that nothing clips, its error there is its clean error, 0. Cells
 * are also recomputed here from their definition (own cosine basis, the recorded sign stream, float64).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../../../src/engine/attacks/gallery';
import { runFourierHeatmapJob, type FourierHeatmapOptions } from '../../../src/engine/jobs/fourierHeatmapJob';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { lowPassFilter } from '../../../src/engine/spectral/lowPass';
import type { FourierHeatmapSection } from '../../../src/engine/spectral/fourierHeatmap';
import { Rng } from '../../../src/engine/util/random';
import { seedFor } from '../../../src/engine/util/seeds';

const S = 8,
  PER = S * S,
  CUTOFF = 2,
  IMAGES = 24,
  EPS = 1.5,
  SEED = 5;
const options: FourierHeatmapOptions = { epsilon: EPS, maxSide: 32, cutoff: null };

/** Row-major 2×PER weights whose rows are low-pass filtered at CUTOFF. */
function filteredWeights(): Float64Array {
  const rng = new Rng(3);
  const W = new Float64Array(2 * PER);
  for (let k = 0; k < 2; k++) {
    const row = Float64Array.from({ length: PER }, () => rng.normal());
    // no DC: the clean margins then come from the images' variation, comparable to the perturbations'
    const mean = row.reduce((a, b) => a + b, 0) / PER;
    W.set(
      lowPassFilter(
        row.map((v) => v - mean),
        1,
        S,
        S,
        CUTOFF,
      ),
      k * PER,
    );
  }
  return W;
}

const margin = (W: ArrayLike<number>, x: ArrayLike<number>) => {
  let m = 0;
  for (let j = 0; j < PER; j++) m += (W[j] - W[PER + j]) * x[j];
  return m;
};

describe('fourier-heatmap job on a linear model of a low-passed input', () => {
  let dir: string;
  const W32 = Float32Array.from(filteredWeights());
  const images: { x: Float32Array; label: number }[] = [];
  const req = (seed = SEED) => ({
    modelPath: join(dir, 'lowpass-linear.onnx'),
    overrides: { images: join(dir, 'images'), seed, runtime: { executionProvider: 'cpu' as const, threads: 1 } },
  });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-fourier-'));
    const bytes = encodeModel(
      makeModel({
        opsetImports: [{ domain: '', version: 13 }],
        graph: {
          nodes: [makeNode('Flatten', ['x'], ['f'], { axis: 1 }), makeNode('Gemm', ['f', 'w'], ['logits'], { transB: 1 })],
          inputs: [makeValueInfo('x', 'float32', ['N', 1, S, S])],
          outputs: [makeValueInfo('logits', 'float32', ['N', 2])],
          initializers: [makeTensor('w', [2, PER], W32)],
        },
      }),
    );
    writeFileSync(join(dir, 'lowpass-linear.onnx'), bytes);
    for (const c of ['0', '1']) mkdirSync(join(dir, 'images', c), { recursive: true });
    // Pixels in [0.3, 0.7]: ε·max|U| = 1.5·√2/8 ≈ 0.27 never clips. Labels: the clean prediction, away from the boundary.
    const rng = new Rng(11);
    while (images.length < IMAGES) {
      const x = Float32Array.from({ length: PER }, () => Math.round(255 * (0.3 + 0.4 * rng.next())) / 255);
      const m = margin(W32, x);
      if (Math.abs(m) < 0.05) continue;
      const label = m >= 0 ? 0 : 1;
      images.push({ x, label });
      writeFileSync(join(dir, 'images', String(label), `img${String(images.length).padStart(3, '0')}.png`), encodePng(x, 1, S, S));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is zero above the cutoff, symmetric, and equals the direct computation of its cells', async () => {
    const report = await runFourierHeatmapJob(req(), options);
    assert.equal(report.status, 'complete');
    assert.equal(report.command, 'fourier-heatmap');
    const s = report.sections.fourierHeatmap as FourierHeatmapSection;
    assert.equal(s.kind, 'fourier-heatmap');
    assert.deepEqual(s.fy, [-4, -3, -2, -1, 0, 1, 2, 3]);
    assert.equal(s.params.cellsDone, s.params.cellsTotal);
    assert.equal(s.params.images, IMAGES);
    assert.ok(Object.keys(report.seeds).some((k) => k.startsWith('fourier/sign')));
    const [m] = s.maps;
    assert.equal(m.cleanError, 0);
    const at = (fy: number, fx: number) => m.errorRate[s.fy.indexOf(fy) * s.fx.length + s.fx.indexOf(fx)];
    for (const fy of s.fy)
      for (const fx of s.fx) {
        const e = at(fy, fx);
        assert.ok(e !== null);
        // symmetric about DC (−(−4) aliases to −4 on 8 samples)
        assert.equal(e, at(fy === -4 ? -4 : -fy, fx === -4 ? -4 : -fx));
        if (Math.max(Math.abs(fy), Math.abs(fx)) > CUTOFF) assert.equal(e, 0, `(${fy}, ${fx}) above the cutoff`);
      }
    assert.ok(m.peak && m.peak.error > 0, 'some frequency the model sees must cost it images');
    assert.ok(Math.max(Math.abs(m.peak.fy), Math.abs(m.peak.fx)) <= CUTOFF);

    // Independent recomputation in float64 with the cosine written out, for a few cells.
    const order = [...images].sort((a, b) => a.label - b.label); // the folder's order: class, then file name
    const W = filteredWeights();
    for (const [fy, fx] of [
      [0, 1],
      [-1, 1],
      [2, -2],
      [0, 0],
      [-3, 1],
    ]) {
      const index = s.fy.indexOf(fy) * s.fx.length + s.fx.indexOf(fx);
      // the job computes each pair once, under the first of the two in row-major order
      const mirror = s.fy.indexOf(-fy) * s.fx.length + s.fx.indexOf(-fx);
      const rng = new Rng(seedFor(SEED, 'fourier/sign', Math.min(index, mirror)));
      const [ry, rx] = index <= mirror ? [fy, fx] : [-fy, -fx];
      const amp = fy === 0 && fx === 0 ? 1 / S : Math.SQRT2 / S;
      let wrong = 0;
      for (const { x, label } of order) {
        const r = rng.next() < 0.5 ? -EPS : EPS;
        const xp = Array.from(x, (v, j) =>
          Math.min(1, Math.max(0, v + r * amp * Math.cos(2 * Math.PI * ((ry * Math.floor(j / S) + rx * (j % S)) / S)))),
        );
        if ((margin(W, xp) >= 0 ? 0 : 1) !== label) wrong++;
      }
      assert.ok(
        Math.abs(m.errorRate[index]! - wrong / IMAGES) <= 1 / IMAGES + 1e-12,
        `(${fy}, ${fx}): job ${m.errorRate[index]}, direct ${wrong / IMAGES}`,
      );
    }
  });

  it('is deterministic for a seed; another seed draws other signs', async () => {
    const a = (await runFourierHeatmapJob(req(), options)).sections.fourierHeatmap as FourierHeatmapSection;
    const b = (await runFourierHeatmapJob(req(), options)).sections.fourierHeatmap as FourierHeatmapSection;
    const c = (await runFourierHeatmapJob(req(SEED + 1), options)).sections.fourierHeatmap as FourierHeatmapSection;
    assert.deepEqual(a.maps[0].errorRate, b.maps[0].errorRate);
    assert.notEqual(a.params.seed, c.params.seed);
    assert.notDeepEqual(a.maps[0].errorRate, c.maps[0].errorRate);
  });

  it('maps the defended models too (both by default at 8×8): above its cutoff the low-pass model is blind, as the model is', async () => {
    const report = await runFourierHeatmapJob(req(), { ...options, cutoff: 1 });
    const s = report.sections.fourierHeatmap as FourierHeatmapSection;
    assert.deepEqual(
      s.maps.map((m) => [m.model, m.cutoff]),
      [
        ['model', null],
        ['post-averaging', null],
        ['low-pass', 1],
      ],
    );
    assert.ok(Object.keys(report.seeds).some((k) => k.startsWith('fourier/post-averaging')));
    s.fy.forEach((fy, r) =>
      s.fx.forEach((fx, c) => {
        if (Math.max(Math.abs(fy), Math.abs(fx)) > 1) assert.equal(s.maps[2].errorRate[r * s.fx.length + c], s.maps[2].cleanError);
      }),
    );
    const only = (await runFourierHeatmapJob(req(), { ...options, cutoff: 1, defences: ['low-pass'] })).sections
      .fourierHeatmap as FourierHeatmapSection;
    assert.deepEqual(only.maps[1].errorRate, s.maps[2].errorRate);
    await assert.rejects(runFourierHeatmapJob(req(), { ...options, cutoff: 9 }), /cutoff 9: expected a whole number from 1 to 4/);
  });

  it('a cancel keeps the finished cells (and their mirrors) and marks the report partial', async () => {
    const full = (await runFourierHeatmapJob(req(), options)).sections.fourierHeatmap as FourierHeatmapSection;
    const controller = new AbortController();
    let sections = 0;
    const report = await runFourierHeatmapJob(req(), options, {
      signal: controller.signal,
      onSection: () => {
        if (++sections === 1) controller.abort();
      },
    });
    // 24 images: 21 of the 34 cells a model call (512 images); the cancel comes after the first call
    assert.equal(report.status, 'partial');
    const s = report.sections.fourierHeatmap as FourierHeatmapSection;
    assert.ok(s.params.cellsDone > 0 && s.params.cellsDone < s.params.cellsTotal, `${s.params.cellsDone} of ${s.params.cellsTotal}`);
    const done = s.maps[0].errorRate.filter((e) => e !== null).length;
    assert.ok(done >= s.params.cellsDone && done <= 2 * s.params.cellsDone);
    s.maps[0].errorRate.forEach((e, i) => {
      if (e !== null) assert.equal(e, full.maps[0].errorRate[i]);
    });
  });
});
