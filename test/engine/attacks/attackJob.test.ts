import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, mkdirSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runAttackJob, type AttackJobOptions, type AttacksSection } from '../../../src/engine/jobs/attackJob';
import { EngineError } from '../../../src/engine/errors';
import { REPO_ROOT } from '../../helpers/shared';
import { writeModels } from '../grad/classifierModels';

const SAMPLE = resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx');
const base: AttackJobOptions = {
  attacks: [
    { name: 'fgsm', params: {} },
    { name: 'pgd', params: { steps: 5 } },
  ],
  criterion: 'top1',
  target: null,
  gradient: 'analytic',
  gallery: 2,
  outDir: null,
};

test('the protocol adds up: attacked accuracy = clean − #Adv, norms within ε, gallery written, same seed → same numbers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-attack-'));
  try {
    const req = { modelPath: SAMPLE, overrides: { limit: 40, runtime: { executionProvider: 'cpu' as const } } };
    const r1 = await runAttackJob(req, { ...base, outDir: dir });
    const r2 = await runAttackJob(req, base);
    const a1 = r1.sections.attacks as AttacksSection;
    const a2 = r2.sections.attacks as AttacksSection;
    assert.equal(r1.status, 'complete');
    for (const run of a1.runs) {
      assert.equal(run.evaluated, 40);
      assert.equal(run.attackedImages, run.clean.top1Correct);
      assert.equal(run.attacked.top1Correct, run.clean.top1Correct - run.numAdversarial);
      assert.ok(run.norms.successful.linf.max! <= 8 / 255 + 1e-6);
      assert.equal(run.mode, 'fixed-eps');
      assert.ok(run.gallery.length === Math.min(2, run.numAdversarial));
      for (const g of run.gallery) assert.ok(existsSync(join(dir, g.files.perturbation)), g.files.perturbation);
    }
    const strip = (s: AttacksSection) => s.runs.map(({ seconds: _s, imagesPerSecond: _i, gallery: _g, ...rest }) => rest);
    assert.deepEqual(strip(a1), strip(a2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('top-5 criterion and minimal-ε mode are reported as such; a least-likely target is reached', async () => {
  const req = { modelPath: SAMPLE, overrides: { limit: 20, runtime: { executionProvider: 'cpu' as const } } };
  const r = await runAttackJob(req, {
    ...base,
    attacks: [{ name: 'pgd', params: { eps: 0.2, steps: 20, mode: 'minimal-eps', searchSteps: 5 } }],
    criterion: 'top5',
  });
  const run = (r.sections.attacks as AttacksSection).runs[0];
  assert.equal(run.criterion, 'top5');
  assert.equal(run.mode, 'minimal-eps');
  assert.equal(run.epsilon?.count, run.numAdversarial);
  assert.ok(run.numAdversarial > 0);
  assert.equal(run.attacked.top5Correct, run.clean.top5Correct - run.numAdversarial);
  const t = await runAttackJob(req, {
    ...base,
    attacks: [{ name: 'pgd', params: { eps: 0.3, steps: 40 } }],
    target: { kind: 'least-likely' },
  });
  const tr = (t.sections.attacks as AttacksSection).runs[0];
  assert.equal(tr.targeted, 'least-likely');
  assert.ok(tr.successRate > 0.5, `least-likely success ${tr.successRate}`);
});

test('cancelling keeps the finished batches and marks the report partial', async () => {
  const controller = new AbortController();
  const seen: number[] = [];
  const r = await runAttackJob({ modelPath: SAMPLE, overrides: { runtime: { executionProvider: 'cpu', batchSize: 20 } } }, base, {
    signal: controller.signal,
    // progress moves within a batch too (after each attack): cancel once the first batch of 20 is through
    onProgress: (p) => {
      seen.push(p.done);
      if (p.done >= 20) controller.abort();
    },
  });
  assert.ok(
    seen.some((d) => d > 0 && d < 20),
    `progress within the first batch: ${seen.join(', ')}`,
  );
  assert.equal(r.status, 'partial');
  const run = (r.sections.attacks as AttacksSection).runs[0];
  assert.ok(run.evaluated >= 20 && run.evaluated < 100, `evaluated ${run.evaluated}`);
});

test('bad input: unknown target class, white-box attack without a gradient', async () => {
  await assert.rejects(
    runAttackJob({ modelPath: SAMPLE, overrides: { limit: 10 } }, { ...base, target: { kind: 'class', class: 12 } }),
    /--targeted 12: the target class is out of range 0…9/,
  );
  await assert.rejects(
    runAttackJob({ modelPath: SAMPLE, overrides: { limit: 10 } }, { ...base, target: { kind: 'class', class: -1, name: 'cat' } }),
    /no class has that name/,
  );
  const models = writeModels();
  try {
    const imgs = join(models.dir, 'imgs');
    for (const c of ['a', 'b', 'c']) {
      mkdirSync(join(imgs, c), { recursive: true });
      const src = join(REPO_ROOT, 'samples/images/coat');
      copyFileSync(join(src, readdirSync(src)[0]), join(imgs, c, 'x.png'));
    }
    await assert.rejects(
      runAttackJob({ modelPath: models.path('topk.onnx'), overrides: { images: imgs, input: { size: [4, 4], resize: 'stretch' } } }, base),
      (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.match(e.describe(), /no gradient for 1 op type[\s\S]*TopK[\s\S]*(SimBA|estimated)/);
        return true;
      },
    );
    const est = await runAttackJob(
      { modelPath: models.path('topk.onnx'), overrides: { images: imgs, input: { size: [4, 4] } } },
      { ...base, attacks: [{ name: 'fgsm', params: { eps: 0.1 } }], gradient: 'estimated' },
    );
    assert.equal((est.sections.attacks as AttacksSection).runs[0].gradient, 'estimated');
    assert.match(est.warnings.join(' '), /ESTIMATED/);
  } finally {
    rmSync(models.dir, { recursive: true, force: true });
  }
});
