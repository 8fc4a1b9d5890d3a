/** Which examples pass 2 re-attacks: the adaptive set's images broken in both passes, with pass 1's verdicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { examplesToReattack } from '../../../src/engine/analyse/stages/adaptive';
import type { BatchAttackResult } from '../../../src/engine/jobs/attackSuite';

// Batch images 0, 2, 3, 5 attacked; pass 2 broke 0, 3 and 5.
const result = { attacked: [0, 2, 3, 5], success: [true, false, true, true] } as BatchAttackResult;
const verdict = { top1: true, top5: true };

test('only examples both passes broke, inside the adaptive set, each with its pass-1 verdict', () => {
  // Pass 1 broke 0, 2 and 5 (not 3); image 5 is outside the adaptive set.
  const pass1 = (i: number) => ([0, 2, 5].includes(i) ? { ...verdict, top1: i !== 0 } : null);
  const r = examplesToReattack(result, (i) => i !== 5, pass1);
  assert.deepEqual(r.ks, [0]);
  assert.deepEqual(r.before, [{ top1: false, top5: true }]);
  assert.equal(r.mismatched, 2, 'image 2 (pass 1 only) and image 3 (pass 2 only)');
});

test("without pass 1's verdicts: pass 2's successes, to be classified again", () => {
  const r = examplesToReattack(result, () => true, null);
  assert.deepEqual(r.ks, [0, 2, 3]);
  assert.equal(r.before, null);
  assert.equal(r.mismatched, 0);
});
