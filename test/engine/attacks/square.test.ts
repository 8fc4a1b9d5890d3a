/**
 * Square Attack on an affine model z = W·x + b, whose margin z_y − max_{j≠y} z_j the test computes itself in
 * float64 from W and b: every evaluated candidate is recorded through a wrapper of the classifier, so the
 * tests check against that record — the returned point is the best candidate (the margin only ever goes down
 * with accepted steps), the queries reported are exactly the rows evaluated per image, the search stops at
 * the first adversarial candidate or at the budget, and the candidates have the paper's geometry (L∞: every
 * pixel at x ± ε; L2: ‖δ‖₂ = ε before clipping).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attackContext } from '../../../src/engine/attacks/context';
import { createAttack } from '../../../src/engine/attacks/registry';
import { squareBump, squareP } from '../../../src/engine/attacks/square';
import type { AttackContext } from '../../../src/engine/attacks/types';
import { EngineError } from '../../../src/engine/errors';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { Rng } from '../../../src/engine/util/random';

const C = 3,
  S = 8,
  PER = C * S * S,
  CLASSES = 5;

const rng = new Rng(41);
const W = Float32Array.from({ length: CLASSES * PER }, () => rng.normal() * 0.3);
const B = Float32Array.from({ length: CLASSES }, () => rng.normal() * 0.1);

function affineModel(): Uint8Array {
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [makeNode('Flatten', ['x'], ['f']), makeNode('Gemm', ['f', 'W', 'b'], ['logits'], { transB: 1 })],
        inputs: [makeValueInfo('x', 'float32', ['N', C, S, S])],
        outputs: [makeValueInfo('logits', 'float32', ['N', CLASSES])],
        initializers: [makeTensor('W', [CLASSES, PER], W), makeTensor('b', [CLASSES], B)],
      },
    }),
  );
}

function logits(x: ArrayLike<number>, at = 0): number[] {
  return Array.from({ length: CLASSES }, (_, k) => {
    let z = B[k];
    for (let j = 0; j < PER; j++) z += W[k * PER + j] * x[at + j];
    return z;
  });
}

function margin(x: ArrayLike<number>, y: number, at = 0): number {
  const z = logits(x, at);
  return z[y] - Math.max(...z.filter((_, k) => k !== y));
}

function argmax(z: number[]): number {
  return z.indexOf(Math.max(...z));
}

/** Records every row the attack evaluates (one image per batch here, so each row is that image's query). */
function recording(ctx: AttackContext, seed: number): { ctx: AttackContext; rows: Float32Array[]; calls: () => number } {
  const rows: Float32Array[] = [];
  let calls = 0;
  const inner = ctx.classifier;
  const classifier = Object.create(inner) as Classifier;
  classifier.scores = (pixels, count) => {
    calls++;
    for (let r = 0; r < count; r++) rows.push(pixels.slice(r * PER, (r + 1) * PER));
    return inner.scores(pixels, count);
  };
  return {
    ctx: {
      ...ctx,
      classifier,
      rng: new Rng(seed),
      gradient: () => {
        throw new Error('Square asked for a gradient');
      },
    },
    rows,
    calls: () => calls,
  };
}

describe('Square attack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-square-'));
  let classifier: Classifier;
  let ctx: AttackContext;
  /** Interior images (pixels in [0.3, 0.7]) with their predicted class as the label. */
  const images: { x: Float32Array; y: number }[] = [];

  before(async () => {
    writeFileSync(join(dir, 'affine.onnx'), affineModel());
    const prepared = await prepareModel({
      modelPath: join(dir, 'affine.onnx'),
      overrides: { runtime: { executionProvider: 'cpu', threads: 1, batchSize: 64 } },
    });
    classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
    ctx = attackContext(classifier, { get: () => Promise.reject(new Error('no gradient')) }, 'top1', 0);
    const r = new Rng(9);
    for (let i = 0; i < 6; i++) {
      const x = Float32Array.from({ length: PER }, () => 0.3 + 0.4 * r.next());
      images.push({ x, y: argmax(logits(x)) });
    }
  });

  after(async () => {
    await classifier?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("p follows the paper's schedule, scaled to the budget", () => {
    assert.equal(squareP(0.8, 0, 10_000), 0.8);
    assert.equal(squareP(0.8, 10, 10_000), 0.8);
    assert.equal(squareP(0.8, 11, 10_000), 0.4);
    assert.equal(squareP(0.8, 51, 10_000), 0.2);
    assert.equal(squareP(0.8, 4001, 10_000), 0.8 / 128);
    assert.equal(squareP(0.8, 9999, 10_000), 0.8 / 512);
    // 1,000 queries: iteration 2 is 20 of 10,000 (one halving), 101 is 1010 (five).
    assert.equal(squareP(0.8, 2, 1000), 0.4);
    assert.equal(squareP(0.8, 101, 1000), 0.8 / 32);
  });

  test('the L2 bump has unit norm, opposite halves', () => {
    for (const s of [3, 5, 7, 8]) {
      const d = squareBump(s, new Rng(s));
      const n = Math.sqrt(d.reduce((a, v) => a + v * v, 0));
      assert.ok(Math.abs(n - 1) < 1e-12, `s=${s}: norm ${n}`);
      assert.ok(Math.abs(d.reduce((a, v) => a + v, 0)) < Math.abs(d[0]) * s * s, 'positive and negative halves');
    }
  });

  for (const norm of ['linf', 'l2'] as const) {
    const eps = norm === 'linf' ? 0.05 : 0.5;
    test(`${norm}: best candidate kept, queries = rows evaluated, stops at success or budget, the candidates' geometry`, async () => {
      const budget = 300;
      let broken = 0;
      for (const [i, { x, y }] of images.entries()) {
        const rec = recording(ctx, 100 + i);
        const attack = createAttack({ name: 'square', params: { norm, eps, maxQueries: budget } });
        const out = await attack.run({ pixels: x, count: 1, labels: [y], targets: null }, rec.ctx);
        assert.equal(out.queries[0], rec.rows.length, 'one query per evaluated row, counted exactly');
        assert.ok(out.queries[0] <= budget);
        const margins = rec.rows.map((row) => margin(row, y));
        // The returned point is the first row reaching the running minimum: accepted steps only lower the margin.
        const best = Math.min(...margins);
        assert.ok(Math.abs(margin(out.adversarial, y) - best) < 1e-4, `image ${i}: returned ${margin(out.adversarial, y)}, best ${best}`);
        const firstNegative = margins.findIndex((m) => m < 0);
        if (firstNegative >= 0) {
          broken++;
          assert.equal(rec.rows.length, firstNegative + 1, 'the search stops at the first adversarial candidate');
          assert.notEqual(argmax(logits(out.adversarial)), y);
        } else assert.equal(rec.rows.length, budget, 'a robust image spends the whole budget');
        for (const row of rec.rows) {
          if (norm === 'linf')
            for (let j = 0; j < PER; j++) assert.ok(Math.abs(Math.abs(row[j] - x[j]) - eps) < 1e-6, `|δ| = ${row[j] - x[j]} ≠ ε`);
          else {
            let n = 0;
            for (let j = 0; j < PER; j++) n += (row[j] - x[j]) ** 2;
            assert.ok(Math.abs(Math.sqrt(n) - eps) < 1e-5, `‖δ‖₂ = ${Math.sqrt(n)} ≠ ε (interior pixels: no clipping)`);
          }
        }
      }
      assert.ok(broken > 0, 'the attack breaks some of the images (else the success path is untested)');
    });
  }

  test('batched: each image its own query count; the rows evaluated sum to the counts; same seed, same result', async () => {
    const pixels = new Float32Array(images.length * PER);
    images.forEach(({ x }, i) => pixels.set(x, i * PER));
    const labels = images.map((m) => m.y);
    const run = async (seed: number) => {
      const rec = recording(ctx, seed);
      const out = await createAttack({ name: 'square', params: { eps: 0.03, maxQueries: 200 } }).run(
        { pixels, count: images.length, labels, targets: null },
        rec.ctx,
      );
      return { out, rows: rec.rows.length };
    };
    const a = await run(3);
    assert.equal(
      a.out.queries.reduce((s, q) => s + q, 0),
      a.rows,
    );
    a.out.queries.forEach((q) => assert.ok(q >= 1 && q <= 200));
    const b = await run(3);
    assert.deepEqual(Array.from(b.out.queries), Array.from(a.out.queries));
    assert.deepEqual(b.out.adversarial, a.out.adversarial);
    const c = await run(4);
    assert.notDeepEqual(c.out.adversarial, a.out.adversarial, 'another seed, another search');
  });

  test('bad parameters are refused with USAGE', () => {
    const usage = (params: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(
        () => createAttack({ name: 'square', params }),
        (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message),
      );
    usage({ maxQueries: 0 }, /maxQueries 0/);
    usage({ eps: 0 }, /eps 0/);
    usage({ eps: -0.1 }, /eps -0.1/);
    usage({ eps: 8 }, /did you mean 8\/255/);
    usage({ pInit: 0 }, /pInit/);
    usage({ norm: 'l1' }, /norm "l1"/);
  });
});
