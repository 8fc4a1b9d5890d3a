/**
 * The architecture corpus against PyTorch: for every fixture in test/fixtures/arch/manifest.json, our input
 * gradients (cross-entropy and the margin max_{j≠y} z_j − z_y) on two seeded images match PyTorch's float64
 * gradients of the same module, and FGSM built on ours predicts what PyTorch's FGSM predicts, image by image.
 * The references are written by scripts/fixtures/make-arch-fixtures.py (Debian's torch 1.13).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { GradientModel } from '../../../src/engine/grad/gradientModel';
import { compareGradients } from '../../../src/engine/jobs/gradientsJob';
import { decodeNpy } from '../../../src/engine/util/npy';
import { REPO_ROOT } from '../../helpers/shared';

const ARCH = resolve(REPO_ROOT, 'test', 'fixtures', 'arch');

interface Reference {
  images: { generator: 'lcg'; seeds: number[]; shape: [number, number, number] };
  file: string;
  labels: number[];
  logits: number[][];
  float32_cosine: { ce: number[]; margin: number[] };
  fgsm: { epsilon: number; predictions: number[]; top2_gap: number[]; float32_predictions: number[] };
}
interface Fixture {
  name: string;
  family: string;
  file: string;
  opset: number;
  variant: string | null;
  reference?: Reference;
}
const manifest = JSON.parse(readFileSync(join(ARCH, 'manifest.json'), 'utf8')) as { models: Fixture[] };

/** The generator's images: byte/255, the byte being the top 8 bits of a 32-bit LCG (Numerical Recipes). */
export function lcgImage(seed: number, count: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state >>> 24) / 255;
  }
  return out;
}

/** Float32's floor: PyTorch's own float32 gradient sits this close to float64; we may be 1e-4 below it. */
const BELOW_FLOAT32 = 1e-4;
const MIN_COSINE = 0.999;

export interface ArchMeasurement {
  name: string;
  cosine: { ce: number[]; margin: number[] };
  fgsm: number[];
  signDisagreements: number[];
}

/** Our gradients and FGSM predictions on the fixture's reference images. */
async function measure(
  f: Fixture,
  ref: Reference,
): Promise<ArchMeasurement & { logits: Float32Array; notes: string[]; warnings: string[] }> {
  const prepared = await prepareModel({
    modelPath: join(ARCH, f.file),
    overrides: { runtime: { executionProvider: 'cpu', batchSize: 64, threads: 1 } },
  });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  const per = classifier.pixelsPerSample;
  const [c, h, w] = ref.images.shape;
  assert.equal(per, c * h * w, `${f.name}: the engine's pixel space is ${per} values, the reference's ${c}×${h}×${w}`);
  const count = ref.images.seeds.length;
  const pixels = new Float32Array(count * per);
  ref.images.seeds.forEach((s, i) => pixels.set(lcgImage(s, per), i * per));
  const stored = decodeNpy(readFileSync(join(ARCH, ref.file)), ref.file);
  assert.deepEqual(stored.shape, [2, count, c, h, w]);
  const refCe = stored.data.subarray(0, count * per);
  const refMargin = stored.data.subarray(count * per);
  try {
    await classifier.scores(pixels.subarray(0, per), 1);
    const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses!);
    const session = { executionProvider: 'cpu' as const, threads: 1, maxBatch: 64, label: f.name };
    const ce = await GradientModel.open(builder, { kind: 'cross-entropy' }, session);
    const margin = await GradientModel.open(builder, { kind: 'cw-margin', targeted: true }, session);
    try {
      const ours = await ce.compute(pixels, count, { labels: ref.labels });
      // The targeted margin with t = y is max_{j≠y} z_j − z_y; a huge κ leaves it unclamped.
      const oursMargin = await margin.compute(pixels, count, { labels: ref.labels, kappa: 1e30 });
      const adversarial = pixels.map((x, j) => Math.min(1, Math.max(0, x + ref.fgsm.epsilon * Math.sign(ours.grad[j]))));
      const scores = await classifier.scores(adversarial, count);
      const k = scores.length / count;
      const fgsm = Array.from({ length: count }, (_, i) => argmax(scores.subarray(i * k, (i + 1) * k)));
      const signDisagreements = Array.from({ length: count }, (_, i) => {
        let n = 0;
        for (let j = i * per; j < (i + 1) * per; j++) if (Math.sign(ours.grad[j]) !== Math.sign(refCe[j])) n++;
        return n;
      });
      return {
        name: f.name,
        cosine: {
          ce: compareGradients(ours.grad, refCe, count).map((r) => r.cosine),
          margin: compareGradients(oursMargin.grad, refMargin, count).map((r) => r.cosine),
        },
        fgsm,
        signDisagreements,
        logits: ours.logits,
        notes: builder.notes,
        warnings: prepared.info.warnings,
      };
    } finally {
      await ce.dispose();
      await margin.dispose();
    }
  } finally {
    await classifier.dispose();
  }
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

test('every fixture in the corpus has a PyTorch float64 reference', () => {
  for (const f of manifest.models) assert.ok(f.reference, `${f.name}: no reference in manifest.json`);
});

test('the LCG images are the generator’s (first bytes of seed 1, by hand)', () => {
  // state₁ = 1·1664525 + 1013904223 = 1015568748 = 0x3C88_596C → byte 0x3C = 60.
  const img = lcgImage(1, 2);
  assert.equal(Math.round(img[0] * 255), 60);
  // state₂ = (1015568748·1664525 + 1013904223) mod 2³² = 1586005467 = 0x5E88_85DB → 0x5E = 94.
  assert.equal(Math.round(img[1] * 255), 94);
});

for (const f of manifest.models) {
  const ref = f.reference;
  if (!ref) continue;
  test(`${f.family} ${f.name} (opset ${f.opset}${f.variant && !f.variant.startsWith('opset') ? `, ${f.variant}` : ''}): gradients match PyTorch float64, FGSM predicts as PyTorch's`, async (t) => {
    const m = await measure(f, ref);
    // What is not PyTorch's plain float32 autograd is said: a float16 model runs in float32, a quantized
    // one gets a straight-through estimate (PyTorch's fake-quantize backward is the same estimate).
    if (f.variant === 'float16')
      assert.ok(
        m.warnings.some((w) => /float16 model run in float32/.test(w)),
        m.warnings.join('; '),
      );
    if (f.variant === 'qdq')
      assert.ok(
        m.notes.some((n) => /estimated gradient \(BPDA\)/.test(n)),
        m.notes.join('; '),
      );
    else assert.deepEqual(m.notes, []);
    // The logits first: a gradient of the wrong function could still be self-consistent.
    ref.logits.forEach((row, i) =>
      row.forEach((z, j) => assert.ok(Math.abs(m.logits[i * row.length + j] - z) < 1e-3 * (1 + Math.abs(z)), `${f.name} logit ${i},${j}`)),
    );
    for (const loss of ['ce', 'margin'] as const)
      m.cosine[loss].forEach((cos, i) => {
        const bar = Math.max(MIN_COSINE, ref.float32_cosine[loss][i] - BELOW_FLOAT32);
        assert.ok(
          cos >= bar,
          `${f.name} ${loss} image ${i}: cosine ${cos.toFixed(6)} < ${bar.toFixed(6)} (PyTorch float32 ${ref.float32_cosine[loss][i].toFixed(6)})`,
        );
      });
    assert.deepEqual(m.fgsm, ref.fgsm.predictions, `${f.name}: FGSM predictions (sign disagreements ${m.signDisagreements.join(', ')})`);
    const gap = (cs: number[]) => cs.map((c) => (1 - c).toExponential(1)).join(' ');
    t.diagnostic(
      `1 − cosine: ours ce ${gap(m.cosine.ce)} margin ${gap(m.cosine.margin)}; ` +
        `PyTorch float32 ce ${gap(ref.float32_cosine.ce)} margin ${gap(ref.float32_cosine.margin)}; ` +
        `FGSM ${m.fgsm.join(',')} = PyTorch ${ref.fgsm.predictions.join(',')}; sign disagreements ${m.signDisagreements.join(',')}`,
    );
  });
}
