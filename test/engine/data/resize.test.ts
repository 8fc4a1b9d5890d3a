import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisWeights, resizePlanar, RESIZE_FILTERS } from '../../../src/engine/data/resize';
import { Rng } from '../../../src/engine/util/random';

const close = (a: number, b: number, tol = 1e-5): boolean => Math.abs(a - b) <= tol;

function randomImage(c: number, h: number, w: number, seed = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: c * h * w }, () => rng.next());
}

test('equal sizes are the identity for every filter (a copy, not the same array)', () => {
  const src = randomImage(3, 7, 5);
  for (const f of RESIZE_FILTERS) {
    const out = resizePlanar(src, 3, 7, 5, 7, 5, f);
    assert.deepEqual(out, src, f);
    assert.notEqual(out, src);
  }
});

test('a constant image stays constant, up and down, integer and fractional scales', () => {
  const src = new Float32Array(2 * 13 * 17).fill(0.3);
  for (const f of RESIZE_FILTERS) {
    for (const [h, w] of [
      [4, 5],
      [26, 34],
      [13, 3],
      [40, 9],
      [1, 1],
    ]) {
      const out = resizePlanar(src, 2, 13, 17, h, w, f);
      assert.equal(out.length, 2 * h * w);
      for (const v of out) assert.ok(close(v, 0.3), `${f} ${h}x${w}: ${v}`);
    }
  }
});

test('2× area (box) downscale equals the means of 2×2 blocks', () => {
  const c = 2,
    h = 6,
    w = 8;
  const src = randomImage(c, h, w, 7);
  const out = resizePlanar(src, c, h, w, h / 2, w / 2, 'area');
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < h / 2; y++) {
      for (let x = 0; x < w / 2; x++) {
        const at = (yy: number, xx: number): number => src[(k * h + yy) * w + xx];
        const mean = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
        assert.ok(close(out[(k * (h / 2) + y) * (w / 2) + x], mean), `c${k} (${y},${x})`);
      }
    }
  }
});

test('bilinear upscale of a ramp stays linear in the interior (half-pixel-centre mapping)', () => {
  const inW = 10,
    outW = 27;
  const src = Float32Array.from({ length: inW }, (_, x) => x / 10);
  const out = resizePlanar(src, 1, 1, inW, 1, outW, 'bilinear');
  let interior = 0;
  for (let i = 0; i < outW; i++) {
    const s = (i + 0.5) * (inW / outW) - 0.5; // source coordinate of output pixel i
    if (s < 0 || s > inW - 1) continue;
    interior++;
    assert.ok(close(out[i], s / 10), `x=${i}: ${out[i]} vs ${s / 10}`);
  }
  assert.ok(interior >= outW - 4);
  // and at the borders it clamps to the edge value rather than extrapolating
  assert.ok(close(out[0], 0) && close(out[outW - 1], 0.9));
});

test('weights sum to 1 for every filter and many size pairs; upscaling uses the plain kernel', () => {
  for (const f of RESIZE_FILTERS) {
    for (const [a, b] of [
      [10, 3],
      [224, 224],
      [500, 224],
      [375, 224],
      [7, 20],
      [1, 5],
      [5, 1],
      [256, 224],
    ]) {
      const w = axisWeights(a, b, f);
      for (let i = 0; i < b; i++) {
        let s = 0;
        for (let t = 0; t < w.count[i]; t++) s += w.weights[i * w.taps + t];
        assert.ok(close(s, 1, 1e-12), `${f} ${a}->${b} row ${i}: ${s}`);
        assert.ok(w.start[i] >= 0 && w.start[i] + w.count[i] <= a);
      }
    }
  }
  // Upscaling: bilinear touches at most 2 inputs, bicubic 4, lanczos 6 (no antialias support stretch).
  for (const [f, n] of [
    ['bilinear', 2],
    ['bicubic', 4],
    ['lanczos', 6],
  ] as const) {
    const w = axisWeights(10, 37, f);
    for (let i = 0; i < 37; i++) {
      const nonzero = Array.from(w.weights.subarray(i * w.taps, i * w.taps + w.count[i])).filter((x) => x !== 0).length;
      assert.ok(nonzero <= n, `${f} upscale row ${i} uses ${nonzero} inputs`);
    }
  }
});

test('downscaling antialiases: the support grows with the scale factor (Pillow / torchvision antialias)', () => {
  // 2× bilinear downscale: a triangle twice as wide, so weights 1/8, 3/8, 3/8, 1/8 (not a 2-tap average)
  const w = axisWeights(8, 4, 'bilinear');
  assert.equal(w.count[1], 4);
  assert.deepEqual(
    Array.from(w.weights.subarray(w.taps, w.taps + 4)).map((x) => +x.toFixed(12)),
    [0.125, 0.375, 0.375, 0.125],
  );
  // 10× downscale: every input pixel contributes to some output pixel
  const big = axisWeights(100, 10, 'bilinear');
  const used = new Set<number>();
  for (let i = 0; i < 10; i++) for (let t = 0; t < big.count[i]; t++) if (big.weights[i * big.taps + t] > 0) used.add(big.start[i] + t);
  assert.equal(used.size, 100);
  // so a one-pixel line does not vanish (it would with plain 2-tap sampling at some phases)
  const line = new Float32Array(100);
  line[55] = 1;
  assert.ok(Math.max(...resizePlanar(line, 1, 1, 100, 1, 10, 'bilinear')) > 0.05);
});

test('nearest picks the input pixel under each output centre, floor((i + 0.5)·in/out), ties as Pillow', () => {
  const src = Float32Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(Array.from(resizePlanar(src.subarray(0, 10), 1, 1, 10, 1, 4, 'nearest')), [1, 3, 6, 8]);
  assert.deepEqual(Array.from(resizePlanar(src.subarray(0, 3), 1, 1, 3, 1, 7, 'nearest')), [0, 0, 1, 1, 1, 2, 2]);
  // 100 → 45: (13.5)·100/45 = 30 exactly, but Pillow's running sum gives 29.999… → 29 (and 49 for 22.5).
  const out = Array.from(resizePlanar(src, 1, 1, 100, 1, 45, 'nearest'));
  assert.deepEqual([out[13], out[22]], [29, 49]); // values read from Pillow 9.4 Image.resize(NEAREST)
});

test('bicubic (a = -0.5) and lanczos (a = 3) kernels have their closed-form values', () => {
  // Upscaling 4 → 8: output 3 sits at source coordinate 1.25, taps at distances 1.25, 0.25, 0.75, 1.75.
  const cubic = (d: number): number => {
    const x = Math.abs(d),
      a = -0.5;
    return x < 1 ? (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1 : x < 2 ? a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a : 0;
  };
  const w = axisWeights(4, 8, 'bicubic');
  const expected = [1.25, 0.25, -0.75, -1.75].map(cubic);
  const sum = expected.reduce((a, b) => a + b, 0);
  assert.equal(w.start[3], 0);
  for (let t = 0; t < 4; t++) assert.ok(close(w.weights[3 * w.taps + t], expected[t] / sum, 1e-12));
  const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
  const l = axisWeights(10, 20, 'lanczos');
  // output 9 → source 4.25: taps 2..7 (support 3) at distances -2.25 … 2.75
  const lz = [2, 3, 4, 5, 6, 7].map((x) => {
    const d = x - 4.25;
    return sinc(d) * sinc(d / 3);
  });
  const lsum = lz.reduce((a, b) => a + b, 0);
  assert.equal(l.start[9], 2);
  for (let t = 0; t < 6; t++) assert.ok(close(l.weights[9 * l.taps + t], lz[t] / lsum, 1e-12));
});

test('weight tables are computed once per (sizes, filter) and reused', () => {
  assert.equal(axisWeights(500, 224, 'bilinear'), axisWeights(500, 224, 'bilinear'));
  assert.notEqual(axisWeights(500, 224, 'bilinear'), axisWeights(500, 224, 'bicubic'));
});

test('planes are resized independently and separably (rows then columns)', () => {
  const src = randomImage(3, 9, 11, 3);
  const both = resizePlanar(src, 3, 9, 11, 4, 5, 'bicubic');
  const rows = resizePlanar(src, 3, 9, 11, 9, 5, 'bicubic');
  const cols = resizePlanar(rows, 3, 9, 5, 4, 5, 'bicubic');
  for (let i = 0; i < both.length; i++) assert.ok(close(both[i], cols[i]));
  const g = resizePlanar(src.subarray(9 * 11, 2 * 9 * 11), 1, 9, 11, 4, 5, 'bicubic');
  for (let i = 0; i < g.length; i++) assert.ok(close(both[20 + i], g[i]));
});
