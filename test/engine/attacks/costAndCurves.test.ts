/**
 * Cost counters against their closed forms, and the attack job's robustness curves (--eps-list) against the
 * attack runs they come from, on the bundled sample model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { runAttackJob, type AttackJobOptions, type AttacksSection } from '../../../src/engine/jobs/attackJob';
import { accuracyAt, type RobustnessCurvesSection } from '../../../src/engine/attacks/robustnessCurves';
import { REPO_ROOT } from '../../helpers/shared';
import { attackPasses } from '../../../src/engine/analyse/passCounts';

const SAMPLE = resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx');
const req = { modelPath: SAMPLE, overrides: { limit: 12, runtime: { executionProvider: 'cpu' as const, batchSize: 5 } } };
const base: Omit<AttackJobOptions, 'attacks'> = { criterion: 'top1', target: null, gradient: 'analytic', gallery: 0, outDir: null };

test('counters: FGSM 1 gradient pass per image, PGD-k k per image per restart (+1 forward each), black-box queries = forward passes', async () => {
  const steps = 4,
    restarts = 2;
  const r = await runAttackJob(req, {
    ...base,
    attacks: [
      { name: 'fgsm', params: {} },
      { name: 'pgd', params: { steps, restarts } },
      { name: 'simba', params: { maxQueries: 40 } },
      { name: 'square', params: { maxQueries: 25 } },
    ],
  });
  const [fgsm, pgd, simba, square] = (r.sections.attacks as AttacksSection).runs;
  for (const run of [fgsm, pgd, simba, square]) {
    const c = run.cost!;
    assert.equal(c.images, run.attackedImages, run.label);
    assert.equal(c.evaluationForward, run.attackedImages, `${run.label}: one evaluation forward per attacked image`);
    assert.ok(run.attackedImages > 0);
  }
  const n = fgsm.attackedImages;
  assert.deepEqual([fgsm.cost!.gradient, fgsm.cost!.forward], [n, 0], 'FGSM');
  assert.equal(fgsm.cost!.perImage.gradientMean, 1);
  assert.deepEqual([pgd.cost!.gradient, pgd.cost!.forward], [steps * restarts * n, restarts * n], 'PGD (no early stop)');
  assert.equal(pgd.cost!.queries, pgd.cost!.gradient + pgd.cost!.forward, "PGD's queries = its passes");
  // The analyse time estimate prices the same gradient passes per image.
  assert.equal(attackPasses({ name: 'fgsm', params: {} }, 10).gradient, fgsm.cost!.perImage.gradientMean);
  assert.equal(attackPasses({ name: 'pgd', params: { steps, restarts } }, 10).gradient, pgd.cost!.perImage.gradientMean);
  for (const run of [simba, square]) {
    assert.equal(run.cost!.gradient, 0, run.label);
    assert.equal(run.cost!.queries, run.cost!.forward, `${run.label}: queries = counted forward passes`);
    assert.ok(run.cost!.perImage.queries.max! <= (run.params.maxQueries as number));
  }
});

test('--eps-list: measured points are the attack runs at each ε, derived curves match the run at ε beyond all minimal ε', async () => {
  const epsList = [1 / 255, 2 / 255, 8 / 255];
  const r = await runAttackJob(req, {
    ...base,
    epsList,
    attacks: [
      { name: 'pgd', params: { steps: 5 } },
      { name: 'deepfool', params: { norm: 'l2' } },
      { name: 'fgsm', params: { eps: 8 / 255, mode: 'minimal-eps' } },
    ],
  });
  const runs = (r.sections.attacks as AttacksSection).runs;
  assert.equal(runs.length, 3, 'the ε-list runs stay out of the attack table');
  const s = r.sections.robustnessCurves as RobustnessCurvesSection;
  assert.equal(s.kind, 'robustness-curves');
  assert.deepEqual(s.epsList, epsList);
  const linf = s.norms.find((x) => x.norm === 'linf')!;
  const pgd = linf.curves.find((c) => c.source === 'measured')!;
  assert.equal(pgd.label, 'PGD-5 L∞');
  assert.deepEqual(
    pgd.points.map((p) => p.eps),
    epsList,
  );
  // Its own ε is the attack table's run.
  assert.equal(accuracyAt(pgd, 8 / 255), runs[0].attacked.top1Accuracy);
  for (let i = 1; i < pgd.points.length; i++)
    assert.ok(pgd.points[i].accuracy <= pgd.points[i - 1].accuracy + 1e-12, 'PGD: larger ε, no more robust');
  // Derived: at and beyond every image's minimal ε, the curve is the run's attacked accuracy.
  const df = s.norms.find((x) => x.norm === 'l2')!.curves[0];
  assert.equal(df.source, 'derived');
  assert.equal(df.points.at(-1)!.accuracy, runs[1].attacked.top1Accuracy);
  assert.equal(df.points[0].accuracy, runs[1].clean.top1Accuracy);
  const fg = linf.curves.find((c) => c.source === 'derived')!;
  assert.equal(fg.budget, 8 / 255);
  assert.equal(accuracyAt(fg, 8 / 255), runs[2].attacked.top1Accuracy);
  // The seeds of the ε-list suite are recorded.
  assert.ok(Object.keys(r.seeds).some((k) => k.startsWith('attacks/eps-list')));
});
