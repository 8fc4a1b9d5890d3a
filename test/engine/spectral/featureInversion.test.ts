/**
 * Feature inversion against closed forms and on the shared MNIST CNN:
 *  - g = W x + b (a linear layer): gradient descent from x₀ moves only in W's row space, so (without clipping)
 *    the minimiser it reaches is x₀ + P(x − x₀), P the projection onto the row space, and x_r − x₀ has no
 *    null-space component;
 *  - band shares of maps with known mass, the band edges, the start draw (never the image itself, seeded);
 *  - the invert job: deterministic for a seed, other starts for another seed, its sanity section, and the refusals
 *    (unknown tensor with the nearest names, a --compare model of another input shape).
 */
import { describe, it, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { encodePng } from '../../../src/engine/attacks/gallery';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { RepresentationModel } from '../../../src/engine/grad/representationModel';
import { runInvertJob, type InvertOptions } from '../../../src/engine/jobs/invertJob';
import {
  bandEdges,
  bandShares,
  invertRepresentation,
  startIndices,
  type InversionSection,
} from '../../../src/engine/spectral/featureInversion';
import { Rng } from '../../../src/engine/util/random';
import { SKIP_NO_SHARED, sharedPath } from '../../helpers/shared';

const S = 4;
const PER = S * S;
const K = 3;

function linearModel(w: Float32Array, b: Float32Array): Uint8Array {
  const rng = new Rng(2);
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [
          makeNode('Flatten', ['x'], ['f'], { axis: 1 }),
          makeNode('Gemm', ['f', 'w', 'b'], ['h'], { transB: 1 }),
          makeNode('Gemm', ['h', 'w2'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, S, S])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 2])],
        initializers: [
          makeTensor('w', [K, PER], w),
          makeTensor('b', [K], b),
          makeTensor(
            'w2',
            [2, K],
            Float32Array.from({ length: 2 * K }, () => rng.normal()),
          ),
        ],
      },
    }),
  );
}

/** P v: the projection of v onto the row space of W (K × n), by solving (W Wᵀ) a = W v (Gaussian elimination). */
function projectRows(W: Float64Array, v: Float64Array, k: number, n: number): Float64Array {
  const A = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k + 1 }, (_, j) => {
      let s = 0;
      for (let t = 0; t < n; t++) s += W[i * n + t] * (j < k ? W[j * n + t] : v[t]);
      return s;
    }),
  );
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let j = c; j <= k; j++) A[r][j] -= f * A[c][j];
    }
  }
  const a = A.map((row, i) => row[k] / row[i]);
  const out = new Float64Array(n);
  for (let i = 0; i < k; i++) for (let t = 0; t < n; t++) out[t] += a[i] * W[i * n + t];
  return out;
}

describe('feature inversion of a linear layer g = W x + b (closed form)', () => {
  let dir: string;
  const rng = new Rng(9);
  const W = Float32Array.from({ length: K * PER }, () => rng.normal());
  const b = Float32Array.from({ length: K }, () => rng.normal());
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-invert-linear-'));
    writeFileSync(join(dir, 'linear.onnx'), linearModel(W, b));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reaches x₀ + P(x − x₀): the error falls, and x_r − x₀ lies in W’s row space', async () => {
    const prepared = await prepareModel({ modelPath: join(dir, 'linear.onnx'), overrides: { runtime: { executionProvider: 'cpu' } } });
    const builder = await gradientBuilderFor(prepared, 'logits');
    const rep = builder.representation(null);
    assert.equal(rep.name, 'h');
    assert.equal(rep.source, 'default');
    const model = await RepresentationModel.open(builder, rep, { executionProvider: 'cpu', threads: 1, maxBatch: 8, label: 'linear' });
    try {
      // Two images and their starts in [0.4, 0.6]: the row-space move (K = 3 of 16 dims) stays inside [0,1].
      const count = 2;
      const x = Float32Array.from({ length: count * PER }, () => 0.4 + 0.2 * rng.next());
      const x0 = Float32Array.from({ length: count * PER }, () => 0.4 + 0.2 * rng.next());
      const targets = (await model.compute(x, count, new Float32Array(count * K))).representation;
      const result = await invertRepresentation((p, n) => model.compute(p, n, targets), x0, count, { steps: 300, stepSize: 0.2 });
      const W64 = Float64Array.from(W);
      for (let i = 0; i < count; i++) {
        assert.ok(result.bestLoss[i] < 1e-4 * result.startLoss[i], `image ${i}: loss ${result.bestLoss[i]} from ${result.startLoss[i]}`);
        const xr = result.pixels.subarray(i * PER, (i + 1) * PER);
        assert.ok(
          xr.every((v) => v > 0 && v < 1),
          'no pixel was clipped',
        );
        const change = Float64Array.from({ length: PER }, (_, t) => xr[t] - x0[i * PER + t]);
        const inRows = projectRows(W64, change, K, PER);
        const nullPart = Math.hypot(...change.map((v, t) => v - inRows[t]));
        assert.ok(nullPart < 1e-4 * Math.hypot(...change), `null-space part ${nullPart} of ‖x_r − x₀‖ = ${Math.hypot(...change)}`);
        const wanted = projectRows(
          W64,
          Float64Array.from({ length: PER }, (_, t) => x[i * PER + t] - x0[i * PER + t]),
          K,
          PER,
        );
        const miss = Math.hypot(...wanted.map((v, t) => v - change[t]));
        assert.ok(miss < 1e-2 * Math.hypot(...wanted), `x_r misses x₀ + P(x − x₀) by ${miss}`);
      }
      assert.equal(result.steps, 300);
      assert.equal(result.trace.length, 301);
    } finally {
      await model.dispose();
    }
  });
});

test('band shares: mass at DC is all low, a corner coefficient all high; edges are thirds of the bands', () => {
  const e = bandEdges(28, 28);
  assert.deepEqual(e, { low: 9, mid: 19, bands: 28 });
  const map = new Float64Array(28 * 28);
  map[0] = 2;
  assert.deepEqual(bandShares(map, 28, 28), { low: 1, mid: 0, high: 0 });
  map[27 * 28 + 27] = 2;
  map[10] = 4; // (u, v) = (0, 10): band 10, mid
  assert.deepEqual(bandShares(map, 28, 28), { low: 0.25, mid: 0.5, high: 0.25 });
});

test('each image starts from a different one, the same ones for the same seed', () => {
  const a = startIndices(7, new Rng(1));
  assert.ok(a.every((j, i) => j !== i && j >= 0 && j < 7));
  assert.deepEqual(startIndices(7, new Rng(1)), a);
  assert.notDeepEqual(startIndices(7, new Rng(2)), a);
  assert.throws(() => startIndices(1, new Rng(1)), /at least 2 images/);
});

describe('the invert job on the shared MNIST CNN', { skip: SKIP_NO_SHARED }, () => {
  let dir: string;
  const options = (o: Partial<InvertOptions> = {}): InvertOptions => ({
    compareModelPath: null,
    layer: null,
    steps: 5,
    stepSize: null,
    examples: 2,
    outDir: null,
    ...o,
  });
  const req = (seed = 0) => ({
    modelPath: sharedPath('models', 'mnist-cnn.onnx'),
    overrides: { images: sharedPath('datasets', 'mnist-test'), limit: 6, seed, runtime: { executionProvider: 'cpu' as const, threads: 1 } },
  });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-invert-job-'));
    // a 4×4 model: another input shape than MNIST's 28×28
    writeFileSync(join(dir, 'small.onnx'), linearModel(new Float32Array(K * PER).fill(0.1), new Float32Array(K)));
    mkdirSync(join(dir, 'images', '0'), { recursive: true });
    writeFileSync(join(dir, 'images', '0', 'a.png'), encodePng(new Float32Array(PER).fill(0.5), 1, S, S));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is deterministic for a seed; another seed draws other starts; the sanity section checks the clean predictions', async () => {
    const strip = (s: InversionSection) => s.models.map(({ seconds: _s, provider: _p, ...rest }) => rest);
    const a = await runInvertJob(req(), options({ outDir: join(dir, 'run-a') }));
    const b = await runInvertJob(req(), options({ outDir: join(dir, 'run-b') }));
    const sa = a.sections.inversion as InversionSection;
    assert.equal(a.command, 'invert');
    assert.equal(a.status, 'complete');
    assert.ok(a.sections.sanity, 'a sanity section');
    assert.equal(sa.models.length, 1);
    assert.equal(sa.models[0].layer, '/classifier/classifier.2/Relu_output_0');
    assert.equal(sa.models[0].examples.length, 2);
    assert.ok(sa.models[0].relativeError.mean < sa.models[0].startRelativeError, 'the representation error falls');
    assert.deepEqual(strip(b.sections.inversion as InversionSection), strip(sa));
    const c = await runInvertJob(req(1), options());
    assert.notDeepEqual(
      (c.sections.inversion as InversionSection).models[0].trace,
      sa.models[0].trace,
      'another seed (another sample and other starts) gives another run',
    );
    assert.ok(Object.keys(a.seeds).some((k) => k.startsWith('invert/start')));
  });

  it('refuses an unknown tensor with the nearest names, and a --compare model of another input shape', async () => {
    await assert.rejects(
      runInvertJob(req(), options({ layer: '/classifier/classifier.2/Relu_output' })),
      (e: Error & { details?: { hint?: string } }) =>
        /no tensor named/.test(e.message) && /"\/classifier\/classifier\.2\/Relu_output_0"/.test(e.details?.hint ?? ''),
    );
    await assert.rejects(runInvertJob(req(), options({ compareModelPath: join(dir, 'small.onnx') })), /takes 1×4×4 images.*1×28×28/);
  });
});
