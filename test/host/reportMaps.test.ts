import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binForReport, MAX_MAP_SIDE, spanLabel, BINNING_NOTE } from '../../src/protocol/reportMaps';
import { RCT_DEFINITION } from '../../src/engine/spectral/rct';
import { SPECTRA_DEFINITION } from '../../src/engine/spectral/spectra';

const rowsMap = (h: number, w: number) => ({ height: h, width: w, values: Array.from({ length: h * w }, (_, i) => Math.floor(i / w)) });

test('a map up to 64 on a side goes into the report as it is', () => {
  const map = rowsMap(MAX_MAP_SIDE, 28);
  assert.equal(binForReport(map), map);
});

test('a 224×224 map becomes 56×56 means of 4×4 blocks, and says so', () => {
  const binned = binForReport(rowsMap(224, 224));
  assert.deepEqual([binned.height, binned.width, binned.values.length], [56, 56, 56 * 56]);
  assert.deepEqual(binned.binned, { block: 4, height: 224, width: 224 });
  // rows 4r … 4r+3 average to 4r + 1.5, in every column
  assert.ok(binned.values.every((v, k) => v === 4 * Math.floor(k / 56) + 1.5));
  const colsMap = { height: 224, width: 224, values: Array.from({ length: 224 * 224 }, (_, i) => i % 224) };
  assert.ok(binForReport(colsMap).values.every((v, k) => v === 4 * (k % 56) + 1.5));
});

test('edge blocks average only what they cover; a constant map stays constant', () => {
  const binned = binForReport(rowsMap(130, 65));
  assert.deepEqual(binned.binned, { block: 3, height: 130, width: 65 });
  assert.deepEqual([binned.height, binned.width], [44, 22]);
  assert.equal(binned.values[43 * 22], 129, 'the last block row holds row 129 alone');
  assert.equal(binned.values[42 * 22 + 21], 127, 'rows 126–128, column 63–64 (a 3×2 edge block)');
  const constant = binForReport({ height: 100, width: 100, values: new Array(10000).fill(0.25) });
  assert.ok(constant.values.every((v) => v === 0.25));
});

test('cells name the rows of the full map they cover; the definitions in the report say maps are binned', () => {
  assert.equal(spanLabel(0, 4, 224), '0–3');
  assert.equal(spanLabel(43, 3, 130), '129');
  assert.equal(spanLabel(7, 1, 28), '7');
  for (const d of [RCT_DEFINITION, SPECTRA_DEFINITION]) assert.ok(d.endsWith(BINNING_NOTE));
  assert.match(BINNING_NOTE, /b = ⌈max\(H, W\)\/64⌉/);
});
