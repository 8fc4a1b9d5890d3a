/**
 * Whole-model gradients against PyTorch (float64 autograd) on the shared models: every head the reference
 * files cover must match with max relative error ≤ 1e-4 (normalised by each gradient's max |·|) and
 * cosine ≥ 0.99999.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeImage } from '../../../src/engine/data/decodeImage';
import { rasterToPixels } from '../../../src/engine/data/pixels';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { GradientModel } from '../../../src/engine/grad/gradientModel';
import type { LossHead } from '../../../src/engine/grad/lossHeads';
import { HAVE_SHARED, SKIP_NO_SHARED, sharedManifest, sharedPath } from '../../helpers/shared';

interface Reference {
  images: string[];
  labels: number[];
  logits: number[][];
  heads: Record<'cross_entropy' | 'cw_margin' | 'logit_difference', { value: number[]; grad: number[][]; class_k?: number[] }>;
}

export function compareGradient(ours: Float32Array, ref: number[]): { relError: number; cosine: number } {
  let maxRef = 0,
    maxErr = 0,
    dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxErr = Math.max(maxErr, Math.abs(ours[i] - ref[i]));
    dot += ours[i] * ref[i];
    na += ours[i] * ours[i];
    nb += ref[i] * ref[i];
  }
  return { relError: maxErr / maxRef, cosine: dot / Math.sqrt(na * nb) };
}

const models = HAVE_SHARED ? sharedManifest().filter((m) => m.dataset) : [];

/**
 * One test per model is made from the manifest, so an empty or truncated manifest would make the PyTorch
 * comparison vanish without a failure: the models with a dataset, and the reference files, are pinned here.
 */
const EXPECTED_MODELS = ['fashion-resnet', 'mnist-cnn', 'mnist-mlp'];

test(`the PyTorch gradient references cover the ${EXPECTED_MODELS.length} shared models with a dataset`, { skip: SKIP_NO_SHARED }, () => {
  assert.deepEqual(models.map((m) => m.name).sort(), EXPECTED_MODELS, 'models with a dataset in models/models.json');
  const files = readdirSync(sharedPath('reference', 'gradients'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.deepEqual(
    files,
    EXPECTED_MODELS.map((name) => `${name}.json`),
    'files in reference/gradients/',
  );
});

for (const m of models) {
  test(`${m.name}: gradients equal PyTorch's for every reference head`, { skip: SKIP_NO_SHARED }, async (t) => {
    const ref = JSON.parse(readFileSync(sharedPath('reference', 'gradients', `${m.name}.json`), 'utf8')) as Reference;
    const prepared = await prepareModel({
      modelPath: sharedPath('models', m.file),
      overrides: { ...(m.mean && m.std ? { input: { mean: m.mean, std: m.std } } : {}), runtime: { executionProvider: 'cpu' } },
    });
    const p = prepared.config.preprocessing;
    const n = ref.images.length;
    const per = p.height * p.width;
    const pixels = new Float32Array(n * per);
    ref.images.forEach((img, i) => {
      const raster = decodeImage(readFileSync(sharedPath(img)), img);
      pixels.set(
        rasterToPixels(raster, { height: p.height, width: p.width, channels: p.channels, resize: p.resize, filter: p.resizeFilter }),
        i * per,
      );
    });
    const builder = await gradientBuilderFor(prepared, 'logits');
    const K = builder.numClasses;
    const cases: [keyof Reference['heads'], LossHead, () => Parameters<GradientModel['compute']>[2]][] = [
      ['cross_entropy', { kind: 'cross-entropy' }, () => ({ labels: ref.labels })],
      ['cw_margin', { kind: 'cw-margin', targeted: true }, () => ({ labels: ref.labels, kappa: 1e9 })],
      [
        'logit_difference',
        { kind: 'vjp' },
        () => {
          const c = new Float32Array(n * K);
          ref.heads.logit_difference.class_k!.forEach((k, i) => {
            c[i * K + k] = 1;
            c[i * K + ref.labels[i]] = -1;
          });
          return { cotangent: c };
        },
      ],
    ];
    for (const [name, head, extra] of cases) {
      const model = await GradientModel.open(builder, head, { executionProvider: 'cpu', threads: 2, maxBatch: 16, label: m.name });
      try {
        const out = await model.compute(pixels, n, extra());
        let worstRel = 0,
          worstCos = 1;
        for (let i = 0; i < n; i++) {
          for (let k = 0; k < K; k++) assert.ok(Math.abs(out.logits[i * K + k] - ref.logits[i][k]) < 1e-4, `${m.name} logits ${i},${k}`);
          const refLoss = ref.heads[name].value[i];
          assert.ok(
            Math.abs(out.loss[i] - refLoss) <= 1e-4 * Math.max(1, Math.abs(refLoss)),
            `${m.name} ${name} loss ${i}: ${out.loss[i]} vs ${refLoss}`,
          );
          const { relError, cosine } = compareGradient(out.grad.subarray(i * per, (i + 1) * per), ref.heads[name].grad[i]);
          assert.ok(relError <= 1e-4, `${m.name} ${name} image ${i}: max relative error ${relError.toExponential(3)}`);
          assert.ok(cosine >= 0.99999, `${m.name} ${name} image ${i}: cosine ${cosine}`);
          worstRel = Math.max(worstRel, relError);
          worstCos = Math.min(worstCos, cosine);
        }
        t.diagnostic(`${name}: max relative error ${worstRel.toExponential(2)}, min cosine ${worstCos.toFixed(8)}`);
      } finally {
        await model.dispose();
      }
    }
  });
}
