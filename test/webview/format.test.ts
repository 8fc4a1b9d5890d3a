import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseName,
  bytes,
  compact,
  count,
  duration,
  epsilon,
  fileStem,
  fixed,
  fraction,
  percent,
  pointsChange,
  shape,
  sig,
  times,
} from '../../webview/src/format';
import { attackNorm, epsilonText, epsilonTitle } from '../../webview/src/render/attackTable';
import { ATTACKS } from './fixtures';

test('percentages and percentage-point changes use a true minus sign and an em dash for missing values', () => {
  assert.equal(percent(0.4375), '43.8%');
  assert.equal(percent(1), '100.0%');
  assert.equal(percent(-0.021), '−2.1%');
  assert.equal(percent(0.5, 0), '50%');
  assert.equal(percent(null), '—');
  assert.equal(percent(NaN), '—');
  assert.equal(pointsChange(-0.021), '−2.1 pp');
  assert.equal(pointsChange(0.03), '+3.0 pp');
  assert.equal(pointsChange(0.0001), '±0.0 pp');
  assert.equal(pointsChange(undefined), '—');
});

test('numbers: significant digits, fixed decimals, separators, compact counts, bytes, ratios, durations', () => {
  assert.equal(sig(0.03137254901960784), '0.0314');
  assert.equal(sig(899.146499845019), '899');
  assert.equal(sig(-0.5), '−0.5');
  assert.equal(sig(1.2e-7), '1.20e-7');
  assert.equal(sig(0), '0');
  assert.equal(fixed(0.767506188833297), '0.768');
  assert.equal(count(33594), '33,594');
  assert.equal(count(1234567), '1,234,567');
  assert.equal(compact(33594), '33.6k');
  assert.equal(compact(11689512), '11.7M');
  assert.equal(compact(999), '999');
  assert.equal(bytes(140710), '137.4 KiB');
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(3 * 1024 ** 3), '3.0 GiB');
  assert.equal(times(91.04), '×91.0');
  assert.equal(times(1.0204), '×1.02');
  assert.equal(duration(42.4), '42 s');
  assert.equal(duration(185), '3 m 05 s');
  assert.equal(duration(3720), '1 h 02 m');
  assert.equal(duration(null), '—');
  assert.equal(fraction(49, 92), '49/92');
});

test('ε is a number and, for L∞ budgets on the byte grid, k/255; off-grid L∞ values are approximate, L2 plain', () => {
  assert.equal(epsilon(8 / 255, 'linf'), '8/255 (0.0314)');
  assert.equal(epsilon(2 / 255, 'linf'), '2/255 (0.0078)');
  assert.equal(epsilon(0.0113, 'linf'), '0.0113 (≈2.9/255)');
  assert.equal(epsilon(0.5, 'l2'), '0.5');
  assert.equal(epsilon(8 / 255, null), '0.03137');
  assert.equal(epsilon(null, 'linf'), '—');
});

test('the attack table ε follows the mode: fixed budget, median minimal ε, unbounded, query-limited bound', () => {
  const [fgsm, pgdMin, deepfool, simba] = ATTACKS.runs;
  assert.equal(attackNorm(fgsm), 'linf', 'FGSM is L∞ without a norm parameter');
  assert.equal(attackNorm({ params: { attack: 'fgm' }, label: 'FGM L2 ε=0.5' }), 'l2');
  assert.equal(epsilonText(fgsm), '8/255 (0.0314)');
  assert.equal(epsilonText(pgdMin), 'median 0.0113 (≈2.9/255)');
  assert.equal(
    epsilonTitle(pgdMin),
    'Median of the per-image minimal ε that succeeded; searched up to 8/255 (0.0314)',
    'the bound in the tooltip',
  );
  assert.equal(epsilonText(deepfool), '— (unbounded)');
  assert.equal(epsilonText(simba), '— (no norm bound)');
  assert.equal(epsilonText({ ...simba, params: { ...simba.params, linf: 16 / 255 } }), 'L∞ ≤ 16/255 (0.0627)');
});

test('shapes, base names and file stems', () => {
  assert.equal(shape(['N', 1, 28, 28]), '[N, 1, 28, 28]');
  assert.equal(shape([null, 3]), '[?, 3]');
  assert.equal(baseName('/work/main/samples/fashion-resnet.onnx'), 'fashion-resnet.onnx');
  assert.equal(baseName('C:\\models\\net.onnx'), 'net.onnx');
  assert.equal(fileStem('20261122-045359-fashion resnet/../x'), '20261122-045359-fashion-resnet-..-x');
  assert.equal(fileStem('../..'), 'chart');
});
