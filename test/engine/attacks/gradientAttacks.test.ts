/**
 * FGSM and PGD against torchattacks' recorded rows on the 500 shared test images of each model: our attacked
 * accuracy must be ≤ torchattacks' + 1 percentage point, every row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFgsm } from '../../../src/engine/attacks/fgsm';
import { createFgm } from '../../../src/engine/attacks/fgm';
import { createPgd } from '../../../src/engine/attacks/pgd';
import { perturbationNorms } from '../../../src/engine/attacks/perturbation';
import type { Attack } from '../../../src/engine/attacks/types';
import { EngineError } from '../../../src/engine/errors';
import { SKIP_NO_SHARED, HAVE_SHARED } from '../../helpers/shared';
import { attackFixture, attackReference, correctBatch } from './setup';

for (const model of HAVE_SHARED ? ['mnist-cnn', 'mnist-mlp', 'fashion-resnet'] : ['(shared models)']) {
  test(`${model}: FGSM and PGD are at least as strong as torchattacks on every reference row`, { skip: SKIP_NO_SHARED }, async (t) => {
    const ref = attackReference(model);
    const f = await attackFixture(model);
    try {
      const b = correctBatch(f);
      assert.equal(b.labels.length, ref.clean_correct);
      for (const [name, row] of Object.entries(ref.attacks)) {
        const p = row.params as { attack: string; eps: number; alpha?: number; steps?: number };
        let attack: Attack;
        if (p.attack === 'FGSM') attack = createFgsm({ eps: p.eps });
        else if (p.attack === 'PGD') attack = createPgd({ norm: 'linf', eps: p.eps, alpha: p.alpha!, steps: p.steps! });
        else continue;
        const out = await attack.run({ pixels: b.pixels, count: b.labels.length, labels: b.labels, targets: null }, f.ctx);
        const scores = await f.ctx.classifier.scores(out.adversarial, b.labels.length);
        const broken = f.ctx.isAdversarial(scores, b.labels, null).filter(Boolean).length;
        const attacked = (ref.clean_correct - broken) / ref.images.length;
        const { linf } = perturbationNorms(out.adversarial, b.pixels, b.labels.length);
        assert.ok(Math.max(...linf) <= p.eps + 1e-6, `${name}: L∞ ${Math.max(...linf)} exceeds ε`);
        t.diagnostic(`${name}: attacked accuracy ${attacked.toFixed(3)} (torchattacks ${row.attacked_accuracy})`);
        assert.ok(
          attacked <= row.attacked_accuracy + 0.01,
          `${model} ${name}: attacked accuracy ${attacked} > torchattacks ${row.attacked_accuracy} + 0.01`,
        );
      }
    } finally {
      await f.close();
    }
  });
}

test(
  'minimal-ε PGD and FGSM find per-image ε within the budget, and breaking needs at least that ε',
  { skip: SKIP_NO_SHARED },
  async () => {
    const f = await attackFixture('mnist-cnn', { indices: Array.from({ length: 50 }, (_, i) => i * 10) });
    try {
      const b = correctBatch(f);
      const batch = { pixels: b.pixels, count: b.labels.length, labels: b.labels, targets: null };
      for (const attack of [
        createPgd({ eps: 0.3, mode: 'minimal-eps', searchSteps: 8 }),
        createFgsm({ eps: 0.3, mode: 'minimal-eps', gridSize: 60 }),
      ]) {
        const out = await attack.run(batch, f.ctx);
        const found = Array.from(out.epsilon!).filter((e) => !Number.isNaN(e));
        assert.ok(found.length >= 0.8 * b.labels.length, `${attack.label}: ${found.length} of ${b.labels.length} broken within ε 0.3`);
        const { linf } = perturbationNorms(out.adversarial, b.pixels, b.labels.length);
        out.epsilon!.forEach((e, i) => {
          if (!Number.isNaN(e)) assert.ok(linf[i] <= e + 1e-6 && e <= 0.3);
        });
        const scores = await f.ctx.classifier.scores(out.adversarial, b.labels.length);
        const adv = f.ctx.isAdversarial(scores, b.labels, null);
        out.epsilon!.forEach((e, i) => assert.equal(adv[i], !Number.isNaN(e), `image ${i}: success must match a found ε`));
      }
    } finally {
      await f.close();
    }
  },
);

test(
  'targeted PGD reaches the target; L2 PGD and FGM stay in their L2 ball; same seed gives identical results',
  { skip: SKIP_NO_SHARED },
  async () => {
    const f = await attackFixture('mnist-cnn', { indices: Array.from({ length: 30 }, (_, i) => i * 16) });
    const g = await attackFixture('mnist-cnn', { indices: Array.from({ length: 30 }, (_, i) => i * 16) });
    try {
      const b = correctBatch(f);
      const targets = b.labels.map((l) => (l + 1) % 10);
      const out = await createPgd({ eps: 0.3, steps: 40 }).run(
        { pixels: b.pixels, count: b.labels.length, labels: b.labels, targets },
        f.ctx,
      );
      const scores = await f.ctx.classifier.scores(out.adversarial, b.labels.length);
      assert.ok(f.ctx.isAdversarial(scores, b.labels, targets).filter(Boolean).length >= 0.9 * b.labels.length);
      for (const attack of [createPgd({ norm: 'l2', eps: 1.5 }), createFgm({ eps: 1.5 })]) {
        const r = await attack.run({ pixels: b.pixels, count: b.labels.length, labels: b.labels, targets: null }, f.ctx);
        const { l2 } = perturbationNorms(r.adversarial, b.pixels, b.labels.length);
        assert.ok(Math.max(...l2) <= 1.5 + 1e-4, `${attack.label}: L2 ${Math.max(...l2)}`);
      }
      const a1 = await createPgd({ eps: 0.1 }).run({ pixels: b.pixels, count: b.labels.length, labels: b.labels, targets: null }, g.ctx);
      const g2 = await attackFixture('mnist-cnn', { indices: Array.from({ length: 30 }, (_, i) => i * 16) });
      try {
        const a2 = await createPgd({ eps: 0.1 }).run({ pixels: b.pixels, count: b.labels.length, labels: b.labels, targets: null }, g2.ctx);
        assert.deepEqual(Array.from(a1.adversarial), Array.from(a2.adversarial));
      } finally {
        await g2.close();
      }
    } finally {
      await f.close();
      await g.close();
    }
  },
);

test('bad parameters get specific messages', () => {
  for (const [fn, pattern] of [
    [() => createPgd({ eps: 0 }), /pgd: ε 0: expected a positive number/],
    [() => createPgd({ eps: 8 }), /L∞ ε 8 exceeds the pixel range.*8\/255/],
    [() => createPgd({ steps: 0 }), /pgd: steps 0: expected a whole number/],
    [() => createFgsm({ eps: -1 }), /fgsm: ε -1/],
  ] as [() => unknown, RegExp][]) {
    assert.throws(fn, (e: unknown) => e instanceof EngineError && pattern.test(e.message));
  }
});
