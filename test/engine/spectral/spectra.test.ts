import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSpectrumCutoff, LOG_SPECTRUM_ETA, SpectrumAccumulator, SPECTRA_DEFINITION } from '../../../src/engine/spectral/spectra';
import { EngineError } from '../../../src/engine/errors';
import { Rng } from '../../../src/engine/util/random';

/** a·cos(2π(f_y·i/h + f_x·j/w)) on an h × w plane. */
const tone = (h: number, w: number, fy: number, fx: number, a = 1) =>
  Float64Array.from({ length: h * w }, (_, k) => a * Math.cos(2 * Math.PI * ((fy * Math.floor(k / w)) / h + (fx * (k % w)) / w)));

/** Planar [C,H,W] image from per-channel planes. */
const stack = (...planes: Float64Array[]) => {
  const out = new Float64Array(planes.length * planes[0].length);
  planes.forEach((p, c) => out.set(p, c * p.length));
  return out;
};
const plus = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]);

test('a single-tone δ gives exactly two non-zero centred bins at ±f of magnitude a·√(h·w)/2, averaged over channels', () => {
  const c = 2,
    h = 8,
    w = 12,
    fy = 1,
    fx = 3,
    a = 0.02;
  const x = stack(new Float64Array(h * w).fill(0.5), new Float64Array(h * w).fill(0.25));
  // The tone is in channel 0 only: the channel mean halves it.
  const delta = stack(tone(h, w, fy, fx, a), new Float64Array(h * w));
  const acc = new SpectrumAccumulator(c, h, w, 2);
  acc.add(x, plus(x, delta));
  const { perturbationSpectrum: map, logSpectrumDifference: logMap, count } = acc.result();
  assert.equal(count, 1);
  assert.equal(map.height, h);
  assert.equal(map.width, w);
  const cy = Math.floor(h / 2),
    cx = Math.floor(w / 2);
  const bins = new Set([(cy + fy) * w + cx + fx, (cy - fy) * w + cx - fx]);
  const magnitude = (a * Math.sqrt(h * w)) / 2 / c;
  // Where x has no energy (all but DC), the log difference is log(|F(δ)| + η) − log η.
  const logJump = (Math.log((a * Math.sqrt(h * w)) / 2 + LOG_SPECTRUM_ETA) - Math.log(LOG_SPECTRUM_ETA)) / c;
  for (let k = 0; k < h * w; k++) {
    assert.ok(Math.abs(map.values[k] - (bins.has(k) ? magnitude : 0)) <= 1e-12, `bin ${k}: ${map.values[k]}`);
    assert.ok(Math.abs(logMap.values[k] - (bins.has(k) ? logJump : 0)) <= 1e-6, `log bin ${k}: ${logMap.values[k]}`);
  }
});

test('τ: 1 for a constant image, 0 for a tone beyond k_c, a²/(a² + b²) for a kept and a removed tone (energies summed over channels)', () => {
  const c = 2,
    h = 16,
    w = 16,
    kc = 4;
  const flat = new Float64Array(h * w).fill(0.5);
  const x = stack(flat, flat);
  const zero = new Float64Array(h * w);

  const beyond = new SpectrumAccumulator(c, h, w, kc);
  beyond.add(x, plus(x, stack(tone(h, w, 0, 5, 0.1), zero)));
  const r1 = beyond.result();
  assert.ok(Math.abs(r1.lowFrequencyEnergyImages - 1) <= 1e-15, `τ(constant) = ${r1.lowFrequencyEnergyImages}`);
  assert.ok(r1.lowFrequencyEnergyPerturbation <= 1e-20, `τ(tone at k_x = 5 > 4) = ${r1.lowFrequencyEnergyPerturbation}`);

  // A kept tone (−4, 4) in channel 0, a removed one (6, 1) in channel 1: τ = a²/(a² + b²), not the channel mean of 1 and 0.
  const a = 0.03,
    b = 0.01;
  const mixed = new SpectrumAccumulator(c, h, w, kc);
  mixed.add(x, plus(x, stack(tone(h, w, -4, 4, a), tone(h, w, 6, 1, b))));
  const tau = mixed.result().lowFrequencyEnergyPerturbation;
  assert.ok(Math.abs(tau - (a * a) / (a * a + b * b)) <= 1e-12, `τ = ${tau}`);
});

test('τ is averaged over images; an all-zero δ (or image) adds to the maps but not to τ; none at all gives NaN', () => {
  const h = 8,
    w = 8,
    kc = 2;
  const x = new Float64Array(h * w).fill(0.5);
  const acc = new SpectrumAccumulator(1, h, w, kc);
  acc.add(x, x);
  acc.add(x, plus(x, tone(h, w, 3, 0, 0.1)));
  acc.add(x, plus(x, tone(h, w, 1, 1, 0.1)));
  const r = acc.result();
  assert.equal(r.count, 3);
  assert.ok(
    Math.abs(r.lowFrequencyEnergyPerturbation - 0.5) <= 1e-12,
    `mean of τ = 0 and τ = 1 over two images: ${r.lowFrequencyEnergyPerturbation}`,
  );
  // Bin (3, 0) holds |F(δ)| = 0.1·√64/2 = 0.4 in one image of three.
  const centre = Math.floor(h / 2) * w + Math.floor(w / 2);
  assert.ok(Math.abs(r.perturbationSpectrum.values[centre + 3 * w] - 0.4 / 3) <= 1e-12);

  const none = new SpectrumAccumulator(1, h, w, kc);
  none.add(x, x);
  assert.ok(Number.isNaN(none.result().lowFrequencyEnergyPerturbation));
  assert.ok(none.result().perturbationSpectrum.values.every((v) => v === 0));
  const black = new SpectrumAccumulator(1, h, w, kc);
  black.add(new Float64Array(h * w), tone(h, w, 1, 0, 0.1));
  assert.ok(Number.isNaN(black.result().lowFrequencyEnergyImages));
  assert.equal(black.result().lowFrequencyEnergyPerturbation, 1);
});

test('accumulation does not depend on the order of the images', () => {
  const rng = new Rng(1),
    c = 3,
    h = 9,
    w = 7,
    n = c * h * w;
  const pairs = Array.from({ length: 5 }, () => {
    const x = Float32Array.from({ length: n }, () => rng.next());
    return [x, x.map((v) => v + (rng.next() - 0.5) * 0.1)] as const;
  });
  const forward = new SpectrumAccumulator(c, h, w, 2),
    backward = new SpectrumAccumulator(c, h, w, 2);
  for (const [x, adv] of pairs) forward.add(x, adv);
  for (const [x, adv] of [...pairs].reverse()) backward.add(x, adv);
  const f = forward.result(),
    b = backward.result();
  assert.equal(f.count, 5);
  for (const key of ['perturbationSpectrum', 'logSpectrumDifference'] as const) {
    f[key].values.forEach((v, k) => assert.ok(Math.abs(v - b[key].values[k]) <= 1e-12 * Math.max(1, Math.abs(v)), `${key}[${k}]`));
  }
  assert.ok(Math.abs(f.lowFrequencyEnergyPerturbation - b.lowFrequencyEnergyPerturbation) <= 1e-15);
  assert.ok(Math.abs(f.lowFrequencyEnergyImages - b.lowFrequencyEnergyImages) <= 1e-15);
});

test('defaultSpectrumCutoff, the definition text, the empty result, and rejected arguments', () => {
  assert.equal(defaultSpectrumCutoff(224, 224), 56);
  assert.equal(defaultSpectrumCutoff(28, 28), 7);
  assert.equal(defaultSpectrumCutoff(32, 32), 8);
  assert.equal(defaultSpectrumCutoff(20, 40), 5);
  assert.equal(defaultSpectrumCutoff(3, 3), 1);
  assert.match(SPECTRA_DEFINITION, /1\/√\(H·W\)/);
  assert.match(SPECTRA_DEFINITION, /η = 1e-8/);
  const usage = (pattern: RegExp) => (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message);
  assert.throws(() => new SpectrumAccumulator(3, 32, 32, -1), usage(/cutoff k_c = -1: expected a non-negative integer/));
  assert.throws(() => new SpectrumAccumulator(0, 32, 32, 8), usage(/channels 0: expected a positive integer/));
  const acc = new SpectrumAccumulator(1, 4, 4, 1);
  const empty = acc.result();
  assert.equal(empty.count, 0);
  assert.ok(empty.perturbationSpectrum.values.every((v) => v === 0) && empty.logSpectrumDifference.values.length === 16);
  assert.ok(Number.isNaN(empty.lowFrequencyEnergyPerturbation) && Number.isNaN(empty.lowFrequencyEnergyImages));
  assert.throws(
    () => acc.add(new Float64Array(16), new Float64Array(15)),
    usage(/expected 1×4×4 = 16 values per image, got 16 \(clean\) and 15 \(adversarial\)/),
  );
});
