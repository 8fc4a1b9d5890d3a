/**
 * `--suite autoattack` as a cascade, on the sample model: the ensemble's robust accuracy is never above any
 * member's own (each run alone on the same images with the same seed) nor above PGD-10's at the same ε; its
 * per-image "broken by" adds up to the per-attack counts and to the runs of the attacks section; a cancel
 * after the first attack keeps that attack's results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { autoAttackSuite, summariseEnsemble } from '../../../src/engine/attacks/ensemble';
import { runAttackJob, type AttackJobOptions, type AttacksSection } from '../../../src/engine/jobs/attackJob';
import { REPO_ROOT } from '../../helpers/shared';

const SAMPLE = resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx');
const EPS = 4 / 255;
const req = { modelPath: SAMPLE, overrides: { limit: 16, runtime: { executionProvider: 'cpu' as const } } };
const base: AttackJobOptions = {
  attacks: autoAttackSuite('standard', 'linf', EPS),
  criterion: 'top1',
  target: null,
  gradient: 'analytic',
  gallery: 0,
  outDir: null,
};

test('the cascade: robust accuracy ≤ every member alone and ≤ PGD-10; broken-by adds up', async () => {
  const ens = (await runAttackJob(req, { ...base, ensemble: { name: 'autoattack', version: 'standard' } })).sections
    .attacks as AttacksSection;
  const alone = (await runAttackJob(req, base)).sections.attacks as AttacksSection;
  const pgd = (await runAttackJob(req, { ...base, attacks: [{ name: 'pgd', params: { eps: EPS, alpha: EPS / 4, steps: 10 } }] })).sections
    .attacks as AttacksSection;
  const e = ens.ensemble!;
  assert.ok(e, 'an ensemble section');
  assert.equal(e.evaluated, 16);
  assert.equal(e.complete, true);
  // The authors' order: APGD-CE, APGD-T, FAB-T, Square.
  assert.deepEqual(
    ens.runs.map((r) => r.params.attack),
    ['apgd-ce', 'apgd-t', 'fab-t', 'square'],
  );
  assert.equal(e.attacks.length, 4);
  for (const run of alone.runs)
    assert.ok(e.robustCorrect <= run.attacked.top1Correct, `ensemble ${e.robustCorrect} > ${run.label} alone ${run.attacked.top1Correct}`);
  assert.ok(
    e.robustCorrect <= pgd.runs[0].attacked.top1Correct,
    `ensemble ${e.robustCorrect} > PGD-10 ${pgd.runs[0].attacked.top1Correct}`,
  );
  // The first attack of the cascade sees every correct image with the same seed: it is the member run alone.
  assert.equal(ens.runs[0].numAdversarial, alone.runs[0].numAdversarial);

  let before = e.cleanCorrect;
  e.attacks.forEach((row, a) => {
    const broke = e.images.filter((m) => m.brokenBy === a).length;
    assert.equal(row.broke, broke);
    assert.equal(row.ranOn, before, `attack ${a + 1} runs on the images the earlier ones left robust`);
    assert.equal(ens.runs[a].attackedImages, row.ranOn);
    assert.equal(ens.runs[a].numAdversarial, row.broke);
    before -= broke;
    assert.equal(row.robustAfter, before);
    assert.equal(ens.runs[a].attacked.top1Correct, before, "a run's attacked accuracy is the robust accuracy after it");
  });
  assert.equal(e.robustCorrect, before);
  assert.equal(e.images.filter((m) => m.cleanCorrect).length, e.cleanCorrect);
  assert.ok(
    e.images.every((m) => m.cleanCorrect || m.brokenBy === null),
    'misclassified images are not attacked',
  );
  assert.ok(!e.notes.some((n) => /FAB-T/.test(n)), 'no note of a missing FAB-T');
});

test('a cancel after the first attack keeps it: partial report, the later attacks marked unfinished', async () => {
  const controller = new AbortController();
  const r = await runAttackJob(
    req,
    { ...base, ensemble: { name: 'autoattack', version: 'standard' } },
    {
      signal: controller.signal,
      // The first progress report inside the batch comes when the first attack finished it.
      onProgress: (p) => {
        if (p.done > 0 && p.done < p.total) controller.abort();
      },
    },
  );
  assert.equal(r.status, 'partial');
  const e = (r.sections.attacks as AttacksSection).ensemble!;
  assert.equal(e.complete, false);
  assert.equal(e.attacks[0].finished, true);
  assert.equal(e.attacks[1].finished, false);
  assert.equal(e.evaluated, 16, 'the batch is kept for the attack that finished');
  assert.ok(e.attacks[0].broke > 0);
  assert.equal(e.robustCorrect, e.cleanCorrect - e.attacks[0].broke);
  assert.equal((r.sections.attacks as AttacksSection).runs[0].evaluated, 16);
});

test('summariseEnsemble: counts from hand-made records', () => {
  const img = (cleanCorrect: boolean, brokenBy: number | null, attacksRun = 2) => ({
    relPath: 'x',
    label: 0,
    cleanCorrect,
    brokenBy,
    attacksRun,
  });
  const e = summariseEnsemble({ version: 'standard', norm: 'linf', eps: EPS, labels: ['A', 'B'], seconds: [1, 2] }, [
    img(false, null),
    img(true, 0),
    img(true, 1),
    img(true, null),
    img(true, null, 1),
  ]);
  assert.deepEqual(
    e.attacks.map((r) => [r.ranOn, r.broke, r.robustAfter, r.finished]),
    [
      [4, 1, 3, true],
      [2, 1, 2, false],
    ],
  );
  assert.equal(e.robustCorrect, 2);
  assert.equal(e.complete, false);
});
