import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { GradientModel } from '../../../src/engine/grad/gradientModel';
import { OUTPUTS, PIXELS } from '../../../src/engine/grad/classifierGradient';
import { Float64Reference } from '../../../src/engine/grad/float64Reference';
import { gradientFor } from '../../../src/engine/grad/registry';
import type { GradientLookup } from '../../../src/engine/grad/backward';
import type { LossHead } from '../../../src/engine/grad/lossHeads';
import {
  combined,
  float32Reference,
  float64LossReference,
  gradcheck,
  verdictFor,
  type GradcheckImage,
} from '../../../src/engine/grad/gradcheck';
import { Rng } from '../../../src/engine/util/random';
import { REPO_ROOT } from '../../helpers/shared';
import { writeModels } from './classifierModels';

const ARCH = resolve(REPO_ROOT, 'test', 'fixtures', 'arch');
interface ArchFixture {
  name: string;
  family: string;
  file: string;
  input_shape: (string | number)[];
  variant?: string | null;
}
const manifest = JSON.parse(readFileSync(join(ARCH, 'manifest.json'), 'utf8')) as { models: ArchFixture[] };
const HEAD: LossHead = { kind: 'cw-margin', targeted: true };
const models = writeModels();
after(() => rmSync(models.dir, { recursive: true, force: true }));

/** The job's setup on two seeded random images, with an optional gradient lookup that replaces the registry. */
async function check(modelPath: string, gradients?: GradientLookup): Promise<GradcheckImage[]> {
  const prepared = await prepareModel({ modelPath, overrides: { runtime: { executionProvider: 'cpu', batchSize: 64, threads: 1 } } });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  const per = classifier.pixelsPerSample;
  const rng = new Rng(11);
  const pixels = Float32Array.from({ length: 2 * per }, () => 0.1 + 0.8 * rng.next());
  await classifier.scores(pixels.subarray(0, per), 1);
  const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses!);
  const grads = await GradientModel.open(builder, HEAD, {
    executionProvider: 'cpu',
    threads: 1,
    maxBatch: 64,
    label: modelPath,
    ...(gradients ? { gradients } : {}),
  });
  try {
    return await gradcheck(float32Reference(classifier), grads, pixels, [0, 1], { directions: 6, seed: 0, jitter: 1e-2 });
  } finally {
    await grads.dispose();
    await classifier.dispose();
  }
}

const describe = (r: GradcheckImage) =>
  `${r.verdict}: random ${r.relError.toExponential(2)} (floor ${r.noiseFloor.toExponential(2)}), along the gradient ${r.alongGradient?.relError.toExponential(2)} (floor ${r.alongGradient?.noiseFloor.toExponential(2)}), step ${r.step}`;

test('the architecture fixtures cover the torchvision families named in the manifest', () => {
  const families = new Set(manifest.models.map((m) => m.family));
  for (const f of [
    'ResNet',
    'MobileNet',
    'EfficientNet',
    'RegNet',
    'ShuffleNet',
    'SqueezeNet',
    'DenseNet',
    'GoogLeNet',
    'Inception',
    'ConvNeXt',
    'ViT',
    'Swin',
    'MaxViT',
  ])
    assert.ok(families.has(f), f);
});

// No false alarm: float32 finite differences on ReLU networks cross kinks and round, which used to read as
// "DISAGREE"; with the measured noise floor every family agrees (or, at worst, cannot tell).
// Not the QDQ model: its gradient is a straight-through estimate of a staircase, which finite differences
// cannot confirm (archReference.test.ts compares it with PyTorch's fake-quantize backward instead).
for (const m of manifest.models.filter((f) => f.variant !== 'qdq')) {
  test(`gradcheck raises no false alarm on ${m.family} (${m.name})`, async () => {
    const results = await check(join(ARCH, m.file));
    for (const r of results) {
      assert.notEqual(r.verdict, 'DISAGREE', `${m.name} image ${r.index}: ${describe(r)}`);
      assert.ok(r.alongGradient, `${m.name}: the gradient's own direction is checked`);
    }
    assert.ok(
      results.some((r) => r.verdict === 'AGREE'),
      `${m.name}: ${results.map(describe).join('; ')}`,
    );
  });
}

/** Wraps one node's gradient module so that its input gradients come out multiplied by `factor`. */
function wrongGradient(nodeName: string, factor: number): GradientLookup {
  return (node) => {
    const real = gradientFor(node);
    if (!real || node.name !== nodeName) return real;
    return {
      opType: real.opType,
      gradient: (args) => real.gradient(args).map((g) => (g ? args.ctx.e.op('Mul', [g, args.ctx.e.scalar(factor)]) : g)),
    };
  };
}

for (const [fixture, what, pick, factor] of [
  ['vit.onnx', 'the first LayerNormalization of a ViT, ×1.5', (_: string, op: string) => op === 'LayerNormalization', 1.5],
  ['resnet.onnx', 'the stem ReLU of a ResNet, sign flipped', (name: string, op: string) => op === 'Relu' && name.includes('stem'), -1],
] as [string, string, (name: string, op: string) => boolean, number][]) {
  test(`gradcheck catches an injected wrong op gradient: ${what}`, async () => {
    // Only the first matching node is wrong: a bug in one place, not a scaled model.
    const node = (await loadModel(join(ARCH, fixture))).proto.graph.node.find((n) => pick(n.name, n.opType));
    assert.ok(node, 'the fixture has such a node');
    const results = await check(join(ARCH, fixture), wrongGradient(node.name, factor));
    for (const r of results) assert.equal(r.verdict, 'DISAGREE', `${fixture} image ${r.index}: ${describe(r)}`);
  });
}

test('verdicts: AGREE within tolerance or within a small floor, DISAGREE only well above the floor, INCONCLUSIVE when noise dominates', () => {
  assert.equal(verdictFor(5e-3, 1), 'AGREE');
  assert.equal(verdictFor(4e-2, 2e-2), 'AGREE');
  assert.equal(verdictFor(0.5, 0.01), 'DISAGREE');
  assert.equal(verdictFor(0.2, 0.1), 'INCONCLUSIVE');
  assert.equal(verdictFor(0.35, 0.1), 'DISAGREE');
  assert.equal(combined('AGREE', 'INCONCLUSIVE'), 'AGREE');
  assert.equal(combined('INCONCLUSIVE', 'INCONCLUSIVE'), 'INCONCLUSIVE');
  assert.equal(combined('AGREE', 'DISAGREE'), 'DISAGREE');
  assert.equal(combined(null, 'AGREE'), 'AGREE');
});

test('a model whose ops all run in float64 is checked against a float64 copy, with a far lower floor', async () => {
  const prepared = await prepareModel({
    modelPath: models.path('opset17.onnx'),
    overrides: { runtime: { executionProvider: 'cpu', batchSize: 64, threads: 1 } },
  });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  const per = classifier.pixelsPerSample;
  const rng = new Rng(5);
  const pixels = Float32Array.from({ length: per }, () => 0.1 + 0.8 * rng.next());
  const scores = await classifier.scores(pixels, 1);
  const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses!);
  const grads = await GradientModel.open(builder, HEAD, { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: 'opset17' });
  const probe = await Float64Reference.probe(
    builder.build(HEAD),
    PIXELS,
    OUTPUTS.logits,
    builder.pixelShape,
    Float64Array.from(pixels),
    (z) => (Math.abs(z[0] - scores[0]) < 1e-4 ? undefined : 'differs'),
  );
  try {
    assert.ok(probe.ok, probe.ok ? '' : probe.reason);
    const f64 = await gradcheck(float64LossReference(probe.reference, 16), grads, pixels, [3], { directions: 6, seed: 0, jitter: 0 });
    const f32 = await gradcheck(float32Reference(classifier), grads, pixels, [3], { directions: 6, seed: 0, jitter: 0 });
    assert.equal(f64[0].verdict, 'AGREE', describe(f64[0]));
    assert.ok(f64[0].noiseFloor < f32[0].noiseFloor / 100, `float64 floor ${f64[0].noiseFloor} vs float32 ${f32[0].noiseFloor}`);
    // What is left is the float32 gradient model's own rounding.
    assert.ok(f64[0].relError < 1e-4, describe(f64[0]));
  } finally {
    if (probe.ok) await probe.reference.dispose();
    await grads.dispose();
    await classifier.dispose();
  }
});

test('a convolutional model gets no float64 copy, and the reason names the op', async () => {
  const prepared = await prepareModel({
    modelPath: join(ARCH, 'resnet.onnx'),
    overrides: { runtime: { executionProvider: 'cpu', batchSize: 64, threads: 1 } },
  });
  const builder = await gradientBuilderFor(prepared, 'logits', 10);
  const probe = await Float64Reference.probe(
    builder.build(HEAD),
    PIXELS,
    OUTPUTS.logits,
    builder.pixelShape,
    new Float64Array(3 * 64 * 64),
    () => undefined,
  );
  assert.equal(probe.ok, false);
  assert.match(probe.ok ? '' : probe.reason, /no float64 kernel for Conv/);
});
