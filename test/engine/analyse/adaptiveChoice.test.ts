/**
 * "Where the budget allows": with a budget and no --adaptive, the plan takes the strongest adaptive attack
 * whose run fits before any other reduction — the ensemble, else APGD-CE-10, else PGD-10 — each compared with
 * the estimate of that run priced directly (estimateRun); the user's choice is never overridden, and the
 * ensemble's estimate is above APGD-CE's, above PGD's (its cascade holds APGD-CE and more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateRun } from '../../../src/engine/analyse/budget';
import { BUDGET_ADAPTIVE_ORDER, chooseAdaptiveAttack } from '../../../src/engine/analyse/runPlan';
import type { AnalyseOptions } from '../../../src/engine/analyse/options';
import { preprocessing } from '../defences/linearModel';

const p = preprocessing(1, 28, 28);
const opts: AnalyseOptions = {
  preset: 'fast',
  attacks: null,
  K: 5,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: null,
  outDir: null,
};
const problem = {
  preprocessing: p,
  shape: { height: 28, width: 28, numClasses: 10 },
  accuracy: 0.9,
  costs: { forwardSeconds: 0.001, gradientSeconds: 0.003 },
};
const images = 50;
const seconds = (attack: 'pgd' | 'apgd-ce' | 'autoattack') => estimateRun({ ...opts, adaptiveAttack: attack }, problem, images).seconds;

test('the ensemble costs more than APGD-CE-10, which costs more than PGD-10', () => {
  assert.ok(seconds('autoattack') > seconds('apgd-ce'));
  assert.ok(seconds('apgd-ce') > seconds('pgd'));
});

test('the budget takes the strongest adaptive attack whose run fits, and records a step down as a reduction', () => {
  const [ens, apgd, pgd] = BUDGET_ADAPTIVE_ORDER.map((a) => seconds(a));
  const at = (s: number) => chooseAdaptiveAttack(opts, problem, images, s)!;
  assert.deepEqual(at(ens), { attack: 'autoattack', from: null });
  const mid = at((ens + apgd) / 2);
  assert.equal(mid.attack, 'apgd-ce');
  assert.deepEqual([mid.from?.kind, mid.from?.from, mid.from?.to], ['adaptive-attack', 1, 2]);
  assert.equal(at(apgd).attack, 'apgd-ce');
  assert.equal(at((apgd + pgd) / 2).attack, 'pgd');
  assert.equal(at(pgd / 2).attack, 'pgd', 'nothing fits: PGD-10, which the other reductions then fit');
});

test("the user's --adaptive stands, and without defences there is nothing to choose", () => {
  assert.equal(chooseAdaptiveAttack({ ...opts, adaptiveAttack: 'pgd' }, problem, images, 1e9), null);
  assert.equal(chooseAdaptiveAttack({ ...opts, defences: [] }, problem, images, 1e9), null);
});
