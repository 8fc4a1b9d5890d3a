/** Durations as `--budget` and the budget setting take them: closed-form seconds, and specific refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../../src/engine/util/duration';
import { isEngineError } from '../../../src/engine/errors';

test('seconds, minutes, hours and their sums', () => {
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('10m'), 600);
  assert.equal(parseDuration('10min'), 600);
  assert.equal(parseDuration('1h'), 3600);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('1h 30m 15s'), 5415);
  assert.equal(parseDuration('2.5m'), 150);
  assert.equal(parseDuration(' 3M '), 180);
  // A bare number is minutes.
  assert.equal(parseDuration('10'), 600);
});

test('anything else is a usage error that names the value and the forms', () => {
  for (const bad of ['', 'abc', '10x', '-5m', '0s', 'm', '10m junk', '1e3s', '5 parsecs']) {
    assert.throws(
      () => parseDuration(bad),
      (e: unknown) => isEngineError(e) && e.code === 'USAGE' && e.message.includes(JSON.stringify(bad)) && e.message.includes('10m'),
      bad,
    );
  }
});
