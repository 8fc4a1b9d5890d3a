/**
 * APGD-CE and APGD-T (Croce & Hein 2020): the closed form on a linear model (the loss's maximiser over the
 * ε-ball is its corner along sign(w_o − w_y) for L∞, the ball's point along w_o − w_y for L2, and APGD must
 * land there), then on the shared models: never weaker than PGD-40 on the same images and budget.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApgdCe, createApgdDlr, createApgdT } from '../../../src/engine/attacks/apgd';
import { attackContext, gradientProvider } from '../../../src/engine/attacks/context';
import { createPgd } from '../../../src/engine/attacks/pgd';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { Rng } from '../../../src/engine/util/random';
import { REPO_ROOT, SKIP_NO_SHARED } from '../../helpers/shared';
import { runAttackJob, type AttacksSection } from '../../../src/engine/jobs/attackJob';
import { attackFixture, correctBatch } from './setup';

const PER = 16;
const dir = mkdtempSync(join(tmpdir(), 'rl-apgd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Two classes, z = W·x + b, class 0 favoured by a bias no ε-ball can overcome (and small enough that the float32 gradient does not underflow): the attack only climbs the loss. */
async function linearContext(seed: number) {
  const rng = new Rng(5);
  const W = Float64Array.from({ length: 2 * PER }, () => rng.normal());
  const file = join(dir, `linear-${seed}.onnx`);
  writeFileSync(
    file,
    encodeModel(
      makeModel({
        opsetImports: [{ domain: '', version: 13 }],
        graph: {
          nodes: [makeNode('Flatten', ['x'], ['f']), makeNode('Gemm', ['f', 'W', 'b'], ['logits'], { transB: 1 })],
          inputs: [makeValueInfo('x', 'float32', ['N', 1, 4, 4])],
          outputs: [makeValueInfo('logits', 'float32', ['N', 2])],
          initializers: [makeTensor('W', [2, PER], Float32Array.from(W)), makeTensor('b', [2], Float32Array.of(12, 0))],
        },
      }),
    ),
  );
  const prepared = await prepareModel({ modelPath: file, overrides: { runtime: { executionProvider: 'cpu' } } });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  await classifier.scores(new Float32Array(PER).fill(0.5), 1);
  const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, 2);
  const gradients = gradientProvider(
    classifier,
    builder,
    'analytic',
    { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: 'linear' },
    seed,
  );
  return {
    ctx: attackContext(classifier, gradients, 'top1', seed),
    direction: Float64Array.from({ length: PER }, (_, j) => W[PER + j] - W[j]),
    close: async () => {
      await gradients.dispose();
      await classifier.dispose();
    },
  };
}

for (const norm of ['linf', 'l2'] as const) {
  test(`APGD-CE ${norm} on a linear model ends at the loss's maximiser over the ε-ball`, async () => {
    const { ctx, direction, close } = await linearContext(3);
    try {
      const count = 4;
      const rng = new Rng(9);
      const pixels = Float32Array.from({ length: count * PER }, () => 0.3 + 0.4 * rng.next());
      const eps = norm === 'linf' ? 8 / 255 : 0.5;
      const out = await createApgdCe({ norm, eps, steps: 100 }).run({ pixels, count, labels: [0, 0, 0, 0], targets: null }, ctx);
      const size = Math.hypot(...direction);
      for (let i = 0; i < count; i++) {
        const delta = Array.from({ length: PER }, (_, j) => out.adversarial[i * PER + j] - pixels[i * PER + j]);
        if (norm === 'linf')
          // The corner itself: every pixel at ±ε.
          delta.forEach((d, j) => assert.ok(Math.abs(d - eps * Math.sign(direction[j])) < 1e-5, `image ${i} pixel ${j}: δ ${d}`));
        else {
          // On the sphere, along w_o − w_y: the iterates approach it geometrically, so a cosine rather than bits.
          const length = Math.hypot(...delta);
          const cosine = delta.reduce((s, d, j) => s + d * direction[j], 0) / (length * size);
          assert.ok(Math.abs(length - eps) < 1e-5 && cosine > 0.9999, `image ${i}: ‖δ‖ ${length}, cosine ${cosine}`);
        }
      }
      // 1 gradient at the start and 1 per step, all 100 (never broken).
      assert.deepEqual(Array.from(out.queries), [101, 101, 101, 101]);
    } finally {
      await close();
    }
  });
}

test('APGD-T needs targets of its own and falls back to cross-entropy, saying so, with fewer than 4 classes', async () => {
  const { ctx, close } = await linearContext(4);
  try {
    const pixels = new Float32Array(PER).fill(0.5);
    const attack = createApgdT({ steps: 5 });
    await assert.rejects(attack.run({ pixels, count: 1, labels: [0], targets: [1] }, ctx), /apgd-t: targets given/);
    await attack.run({ pixels, count: 1, labels: [0], targets: null }, ctx);
    assert.match(String(attack.params.loss), /^cross-entropy \(targeted DLR needs ≥ 4 classes; the model has 2\)$/);
  } finally {
    await close();
  }
});

test('APGD-DLR on fewer than 3 classes falls back to cross-entropy and says why; with EOT each step costs EOT gradient calls', async () => {
  const { ctx, close } = await linearContext(4);
  try {
    const pixels = new Float32Array(2 * PER).fill(0.5);
    const attack = createApgdDlr({ steps: 5, eot: 3 });
    await assert.rejects(async () => attack.run({ pixels, count: 2, labels: [0, 0], targets: [1, 1] }, ctx), /apgd-dlr: targets given/);
    const out = await attack.run({ pixels, count: 2, labels: [0, 0], targets: null }, ctx);
    assert.match(String(attack.params.loss), /^cross-entropy \(DLR needs ≥ 3 classes; the model has 2\)$/);
    assert.match(String(attack.params.fallback), /the DLR loss divides by z_π1 − z_π3, .* needs ≥ 3 classes, and the model has 2/);
    // Never broken (the bias): EOT 3 × (the start + 5 steps) per image.
    assert.deepEqual(Array.from(out.queries), [18, 18]);
  } finally {
    await close();
  }
});

test('APGD-T asked for more targets than classes − 1 runs classes − 1 and says so in the report notes', async () => {
  const r = await runAttackJob(
    { modelPath: resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx'), overrides: { limit: 2, runtime: { executionProvider: 'cpu' } } },
    {
      attacks: [{ name: 'apgd-t', params: { targets: 12, steps: 2 } }],
      criterion: 'top1',
      target: null,
      gradient: 'analytic',
      gallery: 0,
      outDir: null,
    },
  );
  const section = r.sections.attacks as AttacksSection;
  assert.equal(section.runs[0].params.targets, 12, 'the asked number stays recorded');
  assert.equal(section.runs[0].params.fallback, '12 target classes asked, but the model has 10 classes, so at most 9 (classes − 1): ran 9');
  assert.ok(
    section.notes.some((n) => n.startsWith('APGD-T-2 ') && n.endsWith('ran 9')),
    section.notes.join('\n'),
  );
});

for (const [model, eps] of [
  ['mnist-cnn', 0.1],
  ['fashion-resnet', 8 / 255],
] as const) {
  test(
    `${model}, L∞ ε=${eps.toFixed(4)}: APGD-CE and APGD-T leave no more images robust than PGD-40 on the same images`,
    { skip: SKIP_NO_SHARED },
    async () => {
      const f = await attackFixture(model, { indices: Array.from({ length: 60 }, (_, i) => i * 8), seed: 1 });
      try {
        const b = correctBatch(f);
        const batch = { pixels: b.pixels, count: b.labels.length, labels: b.labels, targets: null };
        const robust = async (attack: ReturnType<typeof createPgd>) => {
          const out = await attack.run(batch, f.ctx);
          const scores = await f.ctx.classifier.scores(out.adversarial, batch.count);
          return f.ctx.isAdversarial(scores, batch.labels, null).filter((a) => !a).length;
        };
        const pgd = await robust(createPgd({ eps, alpha: eps / 4, steps: 40 }));
        const ce = await robust(createApgdCe({ eps }));
        const t = await robust(createApgdT({ eps }));
        const line = `${model}: robust of ${batch.count} correct — PGD-40 ${pgd}, APGD-CE ${ce}, APGD-T ${t}`;
        console.log(line);
        assert.ok(ce <= pgd && t <= pgd, line);
      } finally {
        await f.close();
      }
    },
  );
}
