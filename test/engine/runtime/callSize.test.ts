/** The default model-call sizes (runtime/callSize.ts), in closed form. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALL_PIXELS, SMALL_IMAGE_PIXELS, defaultBatchSize, rowsPerCall } from '../../../src/engine/runtime/callSize';
import { samplesPerCall } from '../../../src/engine/jobs/certifyJob';
import { ofRowsPerCall } from '../../../src/engine/jobs/ofPreviews';

test('rows per model call: as many as CALL_PIXELS allows, within [batch size, cap]', () => {
  assert.equal(CALL_PIXELS, 8 * 3 * 224 * 224);
  assert.equal(defaultBatchSize(784), 64);
  assert.equal(defaultBatchSize(3 * 224 * 224), 8);
  assert.equal(defaultBatchSize(3 * 1000 * 1000), 1, 'never below one image');
  assert.equal(rowsPerCall(64, 784, 1000), 1000, 'MNIST noisy copies: the cap');
  assert.equal(rowsPerCall(64, 784, 29), 64, 'never fewer than the batch size');
  assert.equal(rowsPerCall(8, 3 * 224 * 224, 1000), 8);
  assert.equal(rowsPerCall(4, 3 * 299 * 299, 1000), 4);
  assert.equal(rowsPerCall(64, 3 * 32 * 32, 1000), Math.floor(CALL_PIXELS / 3072));
  // Certification's copies and Occluded Frequency's rows use the same rule; a configured batch size is kept.
  assert.equal(samplesPerCall(8, true, 3 * 224 * 224), 8);
  assert.equal(samplesPerCall(64, true, 784), 1000);
  assert.equal(samplesPerCall(16, false, 784), 16);
  assert.equal(ofRowsPerCall(64, 28, 784), 64);
  assert.equal(ofRowsPerCall(8, 80, 3 * 224 * 224), 8);
  assert.equal(ofRowsPerCall(4, 100, 3 * 64 * 64), 98, 'not all 101 rows fit: as many as the pixels allow');
});

test('small images are those the full default batch of 64 fits: up to 79×79×3', () => {
  assert.ok(3 * 79 * 79 <= SMALL_IMAGE_PIXELS && 3 * 80 * 80 > SMALL_IMAGE_PIXELS);
  assert.equal(defaultBatchSize(SMALL_IMAGE_PIXELS), 64);
  assert.equal(defaultBatchSize(SMALL_IMAGE_PIXELS + 1), 63);
});
