/**
 * The sanity check on a real model, as a stranger meets it: fashion-resnet on the Fashion-MNIST class
 * folders with no class names configured (alphabetical folder order ≠ the model's logit order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEvalJob } from '../../../src/engine/jobs/evalJob';
import type { SanitySection } from '../../../src/engine/report/sections';
import { applyClassOrder } from '../../../src/host/classOrderFix';
import { HAVE_SHARED, SKIP_NO_SHARED, sharedManifest, sharedPath } from '../../helpers/shared';

const fashion = HAVE_SHARED ? sharedManifest().find((m) => m.name === 'fashion-resnet') : undefined;
const LIMIT = 200;

test(
  'fashion-resnet on alphabetical class folders: the permutation fires and proposes the logit order',
  { skip: SKIP_NO_SHARED },
  async () => {
    const m = fashion!;
    const report = await runEvalJob({
      modelPath: sharedPath('models', m.file),
      overrides: {
        images: sharedPath(m.dataset!),
        input: { mean: m.mean!, std: m.std! },
        limit: LIMIT,
        runtime: { executionProvider: 'cpu' },
      },
    });
    const sanity = report.sections.sanity as SanitySection;
    assert.equal(sanity.kind, 'sanity');
    const permutation = sanity.findings.find((f) => f.check === 'permutation');
    assert.ok(permutation, `findings: ${JSON.stringify(sanity.findings)}`);
    assert.deepEqual(sanity.proposal?.classNames, m.class_names);
    assert.ok(sanity.proposal.accuracy > 0.75, `accuracy with the proposal ${sanity.proposal.accuracy}`);
    assert.equal(sanity.proposal.currentAccuracy, report.sections.clean!.top1Accuracy);
    assert.ok(report.warnings.includes(permutation.message), 'each finding is a report warning too');
  },
);

test('fashion-resnet with its class names configured: no finding', { skip: SKIP_NO_SHARED }, async () => {
  const m = fashion!;
  const report = await runEvalJob({
    modelPath: sharedPath('models', m.file),
    overrides: {
      images: sharedPath(m.dataset!),
      classNames: m.class_names!,
      input: { mean: m.mean!, std: m.std! },
      limit: LIMIT,
      runtime: { executionProvider: 'cpu' },
    },
  });
  const sanity = report.sections.sanity as SanitySection;
  assert.deepEqual(sanity.findings, []);
  assert.equal(sanity.proposal, null);
});

test(
  "applying the proposal writes the model's own configuration, which gives the accuracy it promised",
  { skip: SKIP_NO_SHARED },
  async () => {
    const m = fashion!;
    const dir = mkdtempSync(join(tmpdir(), 'rl-sanity-'));
    try {
      // A copy of the model: the class order is written beside the model, and ../shared is never written into.
      const modelPath = join(dir, m.file);
      copyFileSync(sharedPath('models', m.file), modelPath);
      const sharedConfig = join(dir, 'robustness.json');
      // Every image (no limit): a stratified sample is drawn by label, and the labels are what changes.
      writeFileSync(sharedConfig, JSON.stringify({ images: sharedPath(m.dataset!), input: { mean: m.mean, std: m.std }, seed: 3 }));
      const run = () => runEvalJob({ modelPath, overrides: { runtime: { executionProvider: 'cpu' } } });
      const before = await run();
      assert.equal(before.config.file, sharedConfig);
      const proposal = (before.sections.sanity as SanitySection).proposal!;
      const written = applyClassOrder(before);
      const own = join(dir, m.file.replace(/\.onnx$/, '.robustness.json'));
      assert.equal(written.file, own);
      assert.equal(written.created, true, "the shared file's settings copied into the model's own file");
      const saved = JSON.parse(readFileSync(own, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(saved.classNames, m.class_names);
      assert.equal(saved.seed, 3, 'other fields kept');
      const after = await run();
      assert.equal(after.sections.clean!.top1Accuracy, proposal.accuracy);
      assert.equal(after.sections.clean!.top1Correct, m.clean_top1_correct, "the model's recorded accuracy");
      assert.deepEqual((after.sections.sanity as SanitySection).findings, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
