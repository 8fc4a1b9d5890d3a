/** Which examples pass 2 re-attacks: the adaptive set's images broken in both passes, with pass 1's verdicts; the re-plan's share of them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { examplesToReattack } from '../../../src/engine/analyse/stages/adaptive';
import type { BatchAttackResult } from '../../../src/engine/jobs/attackSuite';
import { reattackedShares } from '../../../src/engine/analyse/passTwo';
import { DefenceTally } from '../../../src/engine/defences/tally';
import type { DefenceChoice } from '../../../src/engine/defences/defence';
import type { DefenceAttackRef, DefenceRow } from '../../../src/engine/report/sections';

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

/** A pass-1 tally over `n` images where the attack broke the images in `broken` (all correct, clean and defended). */
function tallyRow(n: number, broken: number[]) {
  const t = new DefenceTally('top1');
  const yes = (k: number) => Array.from({ length: k }, () => true);
  const clean = { top1: yes(n), top5: yes(n) };
  const adversarialOf = Array.from({ length: n }, (_, i) => broken.indexOf(i));
  const adv = { top1: broken.map(() => false), top5: broken.map(() => false) };
  t.add(clean, clean, adversarialOf, adv, adv);
  const ref: DefenceAttackRef = { label: 'x', mode: 'fixed-eps', norm: 'linf', criterion: 'top1', seed: 0 };
  return t.row(ref);
}

test("the re-plan's share of examples pass 2 re-attacks: pass 1's broken examples among the first n correct images, per defence", () => {
  const samples = ['a', 'b', 'c', 'd', 'e', 'f'].map((relPath) => ({ relPath }));
  const correct = new Set(['a', 'c', 'd', 'e', 'f']); // b was misclassified
  const choice = (kind: string, rows: DefenceRow[]) => ({ result: { defence: { kind }, rows } }) as unknown as DefenceChoice;
  // Two attacks; the first broke images 0, 2, 3 (a, c, d), the second only 4 (e); pass 1's order is the samples'.
  const choices = [choice('post-averaging', [tallyRow(6, [0, 2, 3]), tallyRow(6, [4])]), choice('low-pass', [tallyRow(6, [])])];
  // First 2 correct images (a, c): attack 1 broke both, attack 2 neither → 2 of 4 examples.
  assert.deepEqual(reattackedShares(samples, choices, correct, 2, true), { 'post-averaging': 2 / 4, 'low-pass': 0 });
  // First 4 correct (a, c, d, e): 3 + 1 of 8.
  assert.deepEqual(reattackedShares(samples, choices, correct, 4, true), { 'post-averaging': 4 / 8, 'low-pass': 0 });
  // More than the correct images: all five.
  assert.equal(reattackedShares(samples, choices, correct, 50, true)['post-averaging'], 4 / 10);
  // No gradient graph: no adaptive attack, nothing re-attacked.
  assert.deepEqual(reattackedShares(samples, choices, correct, 4, false), { 'post-averaging': 0, 'low-pass': 0 });
});
