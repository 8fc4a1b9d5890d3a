/**
 * The contract every registered attack keeps, checked for each catalog entry (its defaults, each of its
 * settings choices and standard-suite entries, and minimal-ε mode where it has one) on a small affine
 * model, so a new attack is covered as soon as it has a record: pixels stay in range, the budget holds
 * (fixed ε: ‖δ‖ ≤ ε in the attack's norm; minimal ε: ‖δ‖ ≤ the ε found; query-limited, or any attack with a
 * maxQueries: queries ≤ the budget), queries are counted, a pre-aborted signal is honoured, and the same seed gives the same bits.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTACK_CATALOG, ATTACK_NAMES, attackNorm, settingsChoices, type AttackSpec } from '../../../src/engine/attacks/catalog';
import { attackContext, gradientProvider, type GradientProvider } from '../../../src/engine/attacks/context';
import { perturbationNorms } from '../../../src/engine/attacks/perturbation';
import { createAttack } from '../../../src/engine/attacks/registry';
import type { AttackBatch, AttackContext } from '../../../src/engine/attacks/types';
import { EngineError } from '../../../src/engine/errors';
import { topK } from '../../../src/engine/eval/scores';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { Rng } from '../../../src/engine/util/random';

const C = 3,
  S = 4,
  PER = C * S * S,
  CLASSES = 6,
  COUNT = 6;
const SEED = 17;

/** z = W·x + b on 3×4×4 images: every attack breaks it quickly, and its gradient is exact. */
function affineModel(): Uint8Array {
  const rng = new Rng(23);
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [makeNode('Flatten', ['x'], ['f']), makeNode('Gemm', ['f', 'W', 'b'], ['logits'], { transB: 1 })],
        inputs: [makeValueInfo('x', 'float32', ['N', C, S, S])],
        outputs: [makeValueInfo('logits', 'float32', ['N', CLASSES])],
        initializers: [
          makeTensor(
            'W',
            [CLASSES, PER],
            Float32Array.from({ length: CLASSES * PER }, () => rng.normal()),
          ),
          makeTensor(
            'b',
            [CLASSES],
            Float32Array.from({ length: CLASSES }, () => rng.normal() * 0.3),
          ),
        ],
      },
    }),
  );
}

/** The cases of one attack: its defaults, its settings choices and standard entries, minimal-ε or a small query budget where it has them. */
function casesOf(name: (typeof ATTACK_NAMES)[number]): AttackSpec[] {
  const r = ATTACK_CATALOG[name];
  const all: AttackSpec[] = [
    { name, params: {} },
    ...r.standard.map((params) => ({ name, params: { ...params } })),
    ...settingsChoices()
      .filter((c) => c.spec.name === name)
      .map((c) => c.spec),
    ...(r.modes.includes('minimal-eps') ? [{ name, params: { mode: 'minimal-eps' } }] : []),
    // A budget that binds: a few queries, and an L∞ bound where the attack takes one.
    ...('maxQueries' in r.params ? [{ name, params: { maxQueries: 6, ...('linf' in r.params ? { linf: 0.05 } : {}) } }] : []),
  ];
  const seen = new Set<string>();
  return all.filter((s) => !seen.has(JSON.stringify(s.params)) && seen.add(JSON.stringify(s.params)));
}

/** Counts model evaluations (forward calls and gradient computations) made through a context. */
function counting(ctx: AttackContext): { ctx: AttackContext; calls: () => number } {
  let calls = 0;
  const inner = ctx.classifier;
  const classifier = Object.create(inner) as Classifier;
  classifier.scores = (pixels, count) => {
    calls++;
    return inner.scores(pixels, count);
  };
  return {
    ctx: {
      ...ctx,
      classifier,
      gradient: async (head) => {
        const source = await ctx.gradient(head);
        return {
          kind: source.kind,
          head: source.head,
          dispose: () => source.dispose(),
          compute: (pixels, count, extra) => {
            calls++;
            return source.compute(pixels, count, extra);
          },
        };
      },
    },
    calls: () => calls,
  };
}

describe('every registered attack keeps the attack contract', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-contract-'));
  let classifier: Classifier;
  let gradients: GradientProvider;
  let batch: AttackBatch;
  const contextFor = (signal?: AbortSignal) => attackContext(classifier, gradients, 'top1', SEED, signal);

  before(async () => {
    writeFileSync(join(dir, 'affine.onnx'), affineModel());
    const prepared = await prepareModel({
      modelPath: join(dir, 'affine.onnx'),
      overrides: { runtime: { executionProvider: 'cpu', threads: 1, batchSize: 64 } },
    });
    classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
    const rng = new Rng(5);
    // Some pixels at the range's edges, so clipping is exercised.
    const pixels = Float32Array.from({ length: COUNT * PER }, () => Math.min(1, Math.max(0, 1.2 * rng.next() - 0.1)));
    const scores = await classifier.scores(pixels, COUNT);
    const labels = Array.from({ length: COUNT }, (_, i) => topK(scores.subarray(i * CLASSES, (i + 1) * CLASSES), 1)[0]);
    batch = { pixels, count: COUNT, labels, targets: null };
    const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses!);
    gradients = gradientProvider(
      classifier,
      builder,
      'analytic',
      { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: 'affine' },
      0,
    );
  });

  after(async () => {
    await gradients?.dispose();
    await classifier?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ATTACK_NAMES) {
    for (const spec of casesOf(name)) {
      test(`${name} ${JSON.stringify(spec.params)}`, async () => {
        const attack = createAttack(spec);
        assert.ok(ATTACK_CATALOG[name].modes.includes(attack.mode), `mode ${attack.mode} is one of the record's`);
        assert.equal(attack.params.attack, name, 'the params as run name the attack');
        const input = batch.pixels.slice();
        const out = await attack.run({ ...batch, pixels: input }, contextFor());
        assert.deepEqual(input, batch.pixels, 'the batch is not modified');

        // Pixels in range.
        assert.equal(out.adversarial.length, COUNT * PER);
        for (const v of out.adversarial) assert.ok(v >= 0 && v <= 1, `pixel ${v} outside [0, 1]`);

        // The budget, as the mode defines it.
        const norm = attackNorm(name, attack.params);
        const sizes = perturbationNorms(out.adversarial, batch.pixels, COUNT)[norm];
        const tol = (e: number) => e * (1 + 1e-5) + 1e-6;
        if (attack.mode === 'fixed-eps') {
          const eps = attack.params.eps as number;
          sizes.forEach((d, i) => assert.ok(d <= tol(eps), `image ${i}: ‖δ‖ ${d} > ε ${eps} (${norm})`));
        } else if (attack.mode === 'minimal-eps') {
          const budget = attack.params.eps as number;
          assert.ok(out.epsilon, 'minimal-ε reports the ε found per image');
          out.epsilon.forEach((e, i) => {
            assert.ok(Number.isNaN(e) || e <= budget, `image ${i}: ε ${e} above the budget ${budget}`);
            assert.ok(sizes[i] <= tol(Number.isNaN(e) ? budget : e), `image ${i}: ‖δ‖ ${sizes[i]} > ε ${e} (${norm})`);
          });
        } else if (attack.mode === 'query-limited') {
          const budget = attack.params.maxQueries;
          assert.equal(typeof budget, 'number', 'a query-limited attack reports its budget as maxQueries');
          out.queries.forEach((q, i) => assert.ok(q <= (budget as number), `image ${i}: ${q} queries > ${String(budget)}`));
          if (typeof attack.params.linf === 'number') {
            const linf = perturbationNorms(out.adversarial, batch.pixels, COUNT).linf;
            linf.forEach((d, i) => assert.ok(d <= tol(attack.params.linf as number), `image ${i}: L∞ ${d} above the bound`));
          }
        } else sizes.forEach((d) => assert.ok(Number.isFinite(d)));
        // A query budget holds in any mode (Square: fixed ε and a budget).
        if (typeof attack.params.maxQueries === 'number')
          out.queries.forEach((q, i) => assert.ok(q <= (attack.params.maxQueries as number), `image ${i}: ${q} queries > budget`));

        // Queries counted for every attacked image.
        assert.equal(out.queries.length, COUNT);
        out.queries.forEach((q, i) => assert.ok(q > 0, `image ${i}: ${q} queries`));

        // Same seed, same bits.
        const again = await createAttack(spec).run({ ...batch, pixels: batch.pixels.slice() }, contextFor());
        assert.deepEqual(
          new Uint8Array(again.adversarial.buffer),
          new Uint8Array(out.adversarial.buffer),
          'same seed, same adversarial bits',
        );
        assert.deepEqual(Array.from(again.queries), Array.from(out.queries));
        assert.deepEqual(again.epsilon && Array.from(again.epsilon), out.epsilon && Array.from(out.epsilon));

        // A pre-aborted signal: the attack rejects with CANCELLED, or returns in-range images after at most a couple of model calls.
        const controller = new AbortController();
        controller.abort();
        const counted = counting(contextFor(controller.signal));
        const aborted = await createAttack(spec)
          .run({ ...batch, pixels: batch.pixels.slice() }, counted.ctx)
          .catch((e: unknown) => e);
        if (aborted instanceof Error)
          assert.ok(aborted instanceof EngineError && aborted.code === 'CANCELLED', `rejected with ${String(aborted)}`);
        else {
          for (const v of (aborted as typeof out).adversarial) assert.ok(v >= 0 && v <= 1);
          assert.ok(counted.calls() <= 2, `${counted.calls()} model calls after the abort`);
        }
      });
    }
  }
});
