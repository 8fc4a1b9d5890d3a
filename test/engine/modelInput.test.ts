import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pixelsToModelInput } from '../../src/engine/input/modelInput';
import type { Preprocessing } from '../../src/engine/config/runConfig';
import { probeOutputKind, rowProbabilities, topK } from '../../src/engine/eval/scores';

const base: Preprocessing = {
  inputName: 'x',
  layout: 'NCHW',
  height: 1,
  width: 2,
  channels: 'rgb',
  pixelScale: 1,
  mean: null,
  std: null,
  resize: 'stretch',
  resizeFilter: 'bilinear',
  resizeShorterTo: null,
};
// Two images, 3 channels, 1×2 pixels, planar: image n, channel c, pixel i = n*0.5 + c*0.1 + i*0.01
const pixels = new Float32Array(12).map((_, j) => Math.floor(j / 6) * 0.5 + (Math.floor(j / 2) % 3) * 0.1 + (j % 2) * 0.01);

test('NCHW keeps planar order; scale, mean and std are applied per channel', () => {
  const out = pixelsToModelInput(pixels, 2, { ...base, pixelScale: 255, mean: [10, 20, 30], std: [2, 4, 5] });
  for (let j = 0; j < 12; j++) {
    const c = Math.floor(j / 2) % 3;
    const expected = (pixels[j] * 255 - [10, 20, 30][c]) / [2, 4, 5][c];
    assert.ok(Math.abs(out[j] - expected) < 1e-4, `index ${j}: ${out[j]} vs ${expected}`);
  }
});

test('NHWC interleaves channels', () => {
  const out = pixelsToModelInput(pixels, 2, { ...base, layout: 'NHWC' });
  // image 1, pixel 1, channel 2 → planar index 6 + 2*2 + 1 = 11; NHWC index 6 + 1*3 + 2 = 11
  assert.equal(out[6 + 1 * 3 + 2], pixels[6 + 2 * 2 + 1]);
  // image 0, pixel 1, channel 0 → planar 1; NHWC 3
  assert.equal(out[3], pixels[1]);
  assert.equal(out[1], pixels[2]);
});

test('identity preprocessing leaves values bit-identical', () => {
  const out = pixelsToModelInput(pixels, 2, base);
  assert.deepEqual(Array.from(out), Array.from(pixels));
});

test('topK ranks largest first with ties to the lower index', () => {
  assert.deepEqual(topK([0.1, 0.7, 0.7, -1, 0.3], 3), [1, 2, 4]);
  assert.deepEqual(topK([5], 5), [0]);
});

test('softmax of logits is stable for large values and sums to 1', () => {
  const p = rowProbabilities(new Float32Array([1000, 1001, 999]), 'logits');
  assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-12);
  assert.ok(Math.abs(p[1] - Math.exp(1) / (1 + Math.exp(1) + Math.exp(-1))) < 1e-12);
});

test('output probe: rows summing to one are probabilities, anything else logits', () => {
  assert.equal(probeOutputKind(new Float32Array([0.2, 0.8, 0.5, 0.5]), 2).kind, 'probabilities');
  assert.equal(probeOutputKind(new Float32Array([0.2, 0.8, 0.5, 0.6]), 2).kind, 'logits');
  assert.equal(probeOutputKind(new Float32Array([-0.2, 1.2]), 2).kind, 'logits');
});
