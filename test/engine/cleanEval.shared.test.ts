import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEvalJob } from '../../src/engine/jobs/evalJob';
import { SKIP_NO_SHARED, HAVE_SHARED, sharedManifest, sharedPath } from '../helpers/shared';

// The recorded PyTorch counts on the 500 held-out images must be reproduced exactly.
const entries = HAVE_SHARED ? sharedManifest().filter((m) => m.dataset && m.clean_top1_correct !== undefined) : [];

test('shared models: correct counts equal models.json exactly', { skip: SKIP_NO_SHARED }, async (t) => {
  assert.ok(entries.length >= 3, 'models.json lists the three trained models');
  for (const m of entries) {
    await t.test(m.name, async () => {
      const report = await runEvalJob({
        modelPath: sharedPath('models', m.file),
        overrides: {
          images: sharedPath(m.dataset!),
          ...(m.class_names ? { classNames: m.class_names } : {}),
          ...(m.mean && m.std ? { input: { mean: m.mean, std: m.std } } : {}),
          runtime: { executionProvider: 'cpu', batchSize: 128 },
        },
      });
      const clean = report.sections.clean!;
      assert.equal(clean.evaluated, m.num_test_images);
      assert.equal(
        clean.top1Correct,
        m.clean_top1_correct,
        `${m.name}: ${clean.top1Correct} correct, manifest says ${m.clean_top1_correct}`,
      );
      assert.equal(report.dataset!.skippedImages.length, 0);
      assert.equal(
        clean.confusion!.flat().reduce((a, b) => a + b, 0),
        m.num_test_images,
      );
      assert.equal(
        clean.perClass.reduce((a, c) => a + c.correct, 0),
        m.clean_top1_correct,
      );
      assert.ok(clean.top5Correct >= clean.top1Correct && clean.top5Correct <= clean.evaluated);
      assert.equal(report.model.outputKind?.kind, 'logits');
    });
  }
});

test('fashion-resnet without its mean/std loses accuracy (the preprocessing really is applied)', { skip: SKIP_NO_SHARED }, async () => {
  const m = entries.find((e) => e.name === 'fashion-resnet')!;
  const report = await runEvalJob({
    modelPath: sharedPath('models', m.file),
    overrides: { images: sharedPath(m.dataset!), classNames: m.class_names!, runtime: { executionProvider: 'cpu' } },
  });
  assert.ok(report.sections.clean!.top1Correct < m.clean_top1_correct!);
});

test('limit draws a stratified seeded sample; the same seed gives the same images', { skip: SKIP_NO_SHARED }, async () => {
  const run = (seed: number) =>
    runEvalJob({
      modelPath: sharedPath('models', 'mnist-cnn.onnx'),
      overrides: { images: sharedPath('datasets', 'mnist-test'), limit: 50, seed, runtime: { executionProvider: 'cpu' } },
    });
  const [a, b, c] = await Promise.all([run(1), run(1), run(2)]);
  const paths = (r: typeof a) => r.sections.clean!.predictions.map((p) => p.relPath);
  assert.equal(a.sections.clean!.evaluated, 50);
  assert.deepEqual(paths(a), paths(b));
  assert.notDeepEqual(paths(a), paths(c));
  assert.ok(
    a.sections.clean!.perClass.every((k) => k.total === 5),
    'five images per class',
  );
  assert.equal(a.config.hash, b.config.hash);
  assert.notEqual(a.config.hash, c.config.hash);
});

test(
  'above 100 classes the confusion matrix is stored as its non-zero cells (resnet18-random-224, 1000 classes)',
  { skip: SKIP_NO_SHARED },
  async () => {
    const digits = Array.from({ length: 10 }, (_, k) => String(k));
    const report = await runEvalJob({
      modelPath: sharedPath('models', 'resnet18-random-224.onnx'),
      overrides: {
        images: sharedPath('datasets', 'mnist-test'),
        classNames: [...digits, ...Array.from({ length: 990 }, (_, k) => `unused-${k}`)],
        limit: 8,
        runtime: { executionProvider: 'cpu', batchSize: 8 },
      },
    });
    const clean = report.sections.clean!;
    assert.equal(clean.confusion, null, 'no 1000 × 1000 matrix of zeros');
    const cells = clean.confusionCells!;
    assert.equal(
      cells.reduce((a, [, , n]) => a + n, 0),
      clean.evaluated,
    );
    assert.deepEqual(
      cells.map(([t, p]) => t * 1000 + p),
      [...cells.map(([t, p]) => t * 1000 + p)].sort((a, b) => a - b),
      'row-major order',
    );
    assert.equal(
      cells.filter(([t, p]) => t === p).reduce((a, [, , n]) => a + n, 0),
      clean.top1Correct,
    );
    for (const [t, p, n] of cells) assert.equal(clean.predictions.filter((q) => q.label === t && q.predicted === p).length, n);
    assert.equal(
      clean.perClass.reduce((a, c) => a + c.total, 0),
      clean.evaluated,
    );
    assert.ok(
      JSON.stringify(clean).length < 100_000,
      `the clean section stays far below the 2 MB of a dense matrix: ${JSON.stringify(clean).length} characters`,
    );
  },
);
