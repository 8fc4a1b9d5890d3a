import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomialUpperTail,
  checkSanity,
  extendOutputRange,
  maxWeightAssignment,
  wilsonUpper,
  type SanityContext,
  type SanityEvidence,
} from '../../../src/engine/eval/sanity';
import { CleanPredictionTally } from '../../../src/engine/jobs/sanityCheck';
import { Rng } from '../../../src/engine/util/random';

const uniform = (seed: number) => {
  const rng = new Rng(seed);
  return () => rng.next();
};

/** Fashion-MNIST's logit order, and the alphabetical folder order a stranger's ImageFolder gives. */
const LOGIT_ORDER = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];
const ALPHABETICAL = [...LOGIT_ORDER].sort();

const logits = { kind: 'logits' as const, reason: 'row 0 has a negative value', decidedBy: 'probe' as const };

function ctx(over: Partial<SanityContext> = {}): SanityContext {
  return { numOutputs: 10, classNames: ALPHABETICAL, classNamesSource: 'default', outputKind: logits, labelsByName: true, ...over };
}

/** Evidence from a dense confusion matrix; confidence as given. */
function evidence(confusion: number[][], meanConfidence: number, extra: Partial<SanityEvidence> = {}): SanityEvidence {
  const evaluated = confusion.flat().reduce((a, b) => a + b, 0);
  const top1Correct = confusion.reduce((s, row, i) => s + (row[i] ?? 0), 0);
  return { evaluated, top1Correct, meanConfidence, confusion, ...extra };
}

/**
 * A model that is right `right` of `perClass` times on each class, its true logit for label i being
 * logitOf[i]; the other images of a class go to the next logit round (a nearby confusion, as real models make).
 */
function matrix(logitOf: number[], perClass: number, right: number): number[][] {
  const k = logitOf.length;
  return logitOf.map((logit) => {
    const row = new Array<number>(k).fill(0);
    row[logit] += right;
    row[(logit + 1) % k] += perClass - right;
    return row;
  });
}

const checks = (s: ReturnType<typeof checkSanity>) => s.findings.map((f) => f.check).sort();

describe('sanity checks', () => {
  it('alphabetical folders on a model with another logit order: the permutation is found and the logit order proposed', () => {
    const logitOf = ALPHABETICAL.map((name) => LOGIT_ORDER.indexOf(name));
    const m = matrix(logitOf, 20, 17);
    const s = checkSanity(evidence(m, 0.9), ctx());
    assert.ok(checks(s).includes('permutation'));
    assert.ok(checks(s).includes('confidence-gap'), 'confident (0.9) but right a third of the time');
    assert.deepEqual(s.proposal?.classNames, LOGIT_ORDER);
    // 4 classes (dress, sandal, shirt, sneaker) keep their index: 4 × 17 right now (+ 3 mistakes that land on
    // their own folder's index), 10 × 17 with the proposal.
    assert.equal(s.proposal?.currentAccuracy, m.reduce((sum, row, i) => sum + row[i], 0) / 200);
    assert.equal(s.proposal?.currentAccuracy, 71 / 200);
    assert.equal(s.proposal?.accuracy, 170 / 200);
    assert.equal(s.proposal?.evaluated, 200);
    const f = s.findings.find((x) => x.check === 'permutation')!;
    assert.equal(f.severity, 'error');
    assert.equal(s.findings[0].check, 'permutation', 'the actionable finding comes first');
    assert.match(f.message, /^Looks like a labelling mistake/);
    assert.match(f.message, /alphabetical order/);
    assert.match(f.message, /85\.0 % instead of 35\.5 %/);
    assert.ok(f.message.includes(JSON.stringify(LOGIT_ORDER)));
  });

  it('two swapped classes among ten: a partial permutation is found and only those two move', () => {
    const logitOf = [0, 1, 2, 3, 4, 5, 6, 8, 7, 9];
    const names = LOGIT_ORDER.map((_, i) => LOGIT_ORDER[logitOf[i]]);
    const s = checkSanity(evidence(matrix(logitOf, 20, 17), 0.88), ctx({ classNames: names, classNamesSource: 'config' }));
    assert.deepEqual(checks(s), ['permutation']);
    assert.deepEqual(s.proposal?.classNames, LOGIT_ORDER);
    assert.match(s.findings[0].message, /from the configuration/);
  });

  it('an honest 60 % model with its usual confusions does not fire', () => {
    const identity = LOGIT_ORDER.map((_, i) => i);
    const s = checkSanity(evidence(matrix(identity, 30, 18), 0.7), ctx({ classNames: LOGIT_ORDER }));
    assert.deepEqual(s.findings, []);
    assert.equal(s.proposal, null);
  });

  it('a weak class mostly confused with one other is not a permutation (its logit is taken)', () => {
    const identity = LOGIT_ORDER.map((_, i) => i);
    const m = matrix(identity, 30, 27);
    m[6] = new Array<number>(10).fill(0);
    m[6][0] = 20; // shirt mostly predicted as t-shirt
    m[6][6] = 10;
    assert.deepEqual(checkSanity(evidence(m, 0.85), ctx({ classNames: LOGIT_ORDER })).findings, []);
  });

  it('predictions unrelated to the labels: near chance', () => {
    const rnd = uniform(7);
    const m = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < 300; i++) m[i % 10][Math.floor(rnd() * 10)]++;
    const s = checkSanity(evidence(m, 0.2), ctx());
    assert.deepEqual(checks(s), ['near-chance']);
    assert.equal(s.findings[0].severity, 'error');
    assert.match(s.findings[0].message, /not significantly above chance \(1\/10 = 10\.0 %/);
  });

  it('every image predicted as one class: single-class (and near chance)', () => {
    const m = Array.from({ length: 5 }, () => [0, 0, 19, 0, 0]);
    m[0] = [1, 0, 19, 0, 0];
    const s = checkSanity(evidence(m, 0.3), ctx({ numOutputs: 5, classNames: ['a', 'b', 'c', 'd', 'e'] }));
    assert.deepEqual(checks(s), ['near-chance', 'single-class']);
    const f = s.findings.find((x) => x.check === 'single-class')!;
    assert.match(f.message, /^Looks like a preprocessing mistake: 99\.0 % of the 96 images are predicted as "c" \(logit 2\)/);
  });

  it('a dataset that is mostly one class, predicted as such, is not a collapse', () => {
    const m = [
      [92, 2],
      [1, 5],
    ];
    assert.deepEqual(checkSanity(evidence(m, 0.95), ctx({ numOutputs: 2, classNames: ['ok', 'defect'] })).findings, []);
  });

  it('small samples stay quiet, even when every image is wrong', () => {
    // 3 images per class, each class predicted as the next: a perfect permutation, but too few images to tell.
    const m = matrix([1, 2, 3, 0], 3, 3);
    const s = checkSanity(evidence(m, 0.9), ctx({ numOutputs: 4, classNames: ['a', 'b', 'c', 'd'] }));
    assert.deepEqual(s.findings, []);
    // 20 images, 50 % right on two classes: not significantly different from anything.
    const s2 = checkSanity(
      evidence(
        [
          [5, 5],
          [5, 5],
        ],
        0.9,
      ),
      ctx({ numOutputs: 2, classNames: ['x', 'y'] }),
    );
    assert.deepEqual(s2.findings, []);
  });

  it('confidence far above accuracy is a warning; the usual overconfidence is not', () => {
    const identity = [0, 1, 2, 3];
    const half = matrix(identity, 25, 12);
    assert.deepEqual(checks(checkSanity(evidence(half, 0.95), ctx({ numOutputs: 4, classNames: ['a', 'b', 'c', 'd'] }))), [
      'confidence-gap',
    ]);
    assert.deepEqual(checkSanity(evidence(half, 0.62), ctx({ numOutputs: 4, classNames: ['a', 'b', 'c', 'd'] })).findings, []);
  });

  it('probabilities treated as logits: error when rows sum to 1, warning for sigmoid-like outputs', () => {
    const identity = LOGIT_ORDER.map((_, i) => i);
    const m = matrix(identity, 10, 9);
    const softmaxRange = { min: 0.001, max: 0.98, rowSumMin: 0.9995, rowSumMax: 1.0004, rows: 100 };
    const s = checkSanity(evidence(m, 0.2, { outputRange: softmaxRange }), ctx({ classNames: LOGIT_ORDER }));
    assert.deepEqual(checks(s), ['probabilities-as-logits']);
    assert.equal(s.findings[0].severity, 'error');
    assert.match(s.findings[0].message, /probabilities fed where logits were expected/);
    const sigmoid = checkSanity(
      evidence(m, 0.2, { outputRange: { ...softmaxRange, rowSumMin: 0.4, rowSumMax: 3.2 } }),
      ctx({ classNames: LOGIT_ORDER }),
    );
    assert.equal(sigmoid.findings[0].severity, 'warning');
    // the same range is right for outputs decided to be probabilities; real logits leave [0, 1]
    const probs = { kind: 'probabilities' as const, reason: 'produced by Softmax', decidedBy: 'graph' as const };
    assert.deepEqual(
      checkSanity(evidence(m, 0.9, { outputRange: softmaxRange }), ctx({ classNames: LOGIT_ORDER, outputKind: probs })).findings,
      [],
    );
    assert.deepEqual(
      checkSanity(evidence(m, 0.9, { outputRange: { ...softmaxRange, min: -3.2, max: 7.5 } }), ctx({ classNames: LOGIT_ORDER })).findings,
      [],
    );
    assert.deepEqual(
      checkSanity(evidence(m, 0.2, { outputRange: { ...softmaxRange, rows: 4 } }), ctx({ classNames: LOGIT_ORDER })).findings,
      [],
    );
  });

  it('labels that are not class names: the permutation is reported without a proposal', () => {
    const logitOf = ALPHABETICAL.map((name) => LOGIT_ORDER.indexOf(name));
    const s = checkSanity(evidence(matrix(logitOf, 20, 17), 0.9), ctx({ labelsByName: false }));
    assert.ok(checks(s).includes('permutation'));
    assert.equal(s.proposal, null);
    assert.match(s.findings[0].message, /Fix the labels/);
  });

  it('sparse confusion cells give the same result as the dense matrix', () => {
    const logitOf = ALPHABETICAL.map((name) => LOGIT_ORDER.indexOf(name));
    const dense = matrix(logitOf, 20, 17);
    const cells: [number, number, number][] = [];
    dense.forEach((row, t) => row.forEach((n, p) => n && cells.push([t, p, n])));
    const e = evidence(dense, 0.9);
    assert.deepEqual(checkSanity({ ...e, confusion: null, confusionCells: cells }, ctx()), checkSanity(e, ctx()));
  });

  it('above 100 classes (sparse cells): a shifted label order on 200 classes is found', () => {
    const names = Array.from({ length: 200 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    // label i's images are predicted as logit (i + 1) mod 200, 8 of 10 times; the rest as logit i + 2
    const cells: [number, number, number][] = [];
    for (let i = 0; i < 200; i++) cells.push([i, (i + 1) % 200, 8], [i, (i + 2) % 200, 2]);
    const s = checkSanity(
      { evaluated: 2000, top1Correct: 0, meanConfidence: 0.85, confusion: null, confusionCells: cells },
      ctx({ numOutputs: 200, classNames: names }),
    );
    assert.ok(checks(s).includes('permutation'));
    assert.deepEqual(
      s.proposal?.classNames,
      names.map((_, j) => names[(j + 199) % 200]),
    );
    assert.equal(s.proposal?.accuracy, 0.8);
  });

  it('the proposal names every output: classes without images keep their index when free, spare logits get a name', () => {
    // 3 folders (a, b, c) on a 5-output model; a's images go to logit 3, c's to logit 0; b has no images.
    const m = [
      [0, 0, 0, 20, 0],
      [0, 0, 0, 0, 0],
      [20, 0, 0, 0, 0],
    ];
    const s = checkSanity(
      { evaluated: 40, top1Correct: 0, meanConfidence: 0.9, confusion: m },
      ctx({ numOutputs: 5, classNames: ['a', 'b', 'c'] }),
    );
    assert.deepEqual(s.proposal?.classNames, ['c', 'b', 'class 2', 'a', 'class 4']);
    assert.equal(s.proposal?.accuracy, 1);
  });
});

describe('maximum-weight assignment', () => {
  function bruteForce(w: number[][]): number {
    const n = w.length,
      m = w[0].length;
    let best = -Infinity;
    const used = new Array<boolean>(m).fill(false);
    const go = (i: number, sum: number) => {
      if (i === n) {
        best = Math.max(best, sum);
        return;
      }
      for (let j = 0; j < m; j++) {
        if (used[j]) continue;
        used[j] = true;
        go(i + 1, sum + w[i][j]);
        used[j] = false;
      }
    };
    go(0, 0);
    return best;
  }

  it('matches brute force on random matrices (square and rectangular, with ties)', () => {
    const rnd = uniform(1234);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rnd() * 6);
      const m = n + Math.floor(rnd() * 3);
      const w = Array.from({ length: n }, () => Array.from({ length: m }, () => Math.floor(rnd() * (trial % 2 ? 4 : 50))));
      const cols = maxWeightAssignment(w);
      assert.equal(new Set(cols).size, n, 'distinct columns');
      assert.ok(cols.every((c) => c >= 0 && c < m));
      assert.equal(
        cols.reduce((s, c, i) => s + w[i][c], 0),
        bruteForce(w),
        `trial ${trial}: ${JSON.stringify(w)}`,
      );
    }
  });

  it('refuses fewer columns than rows', () => {
    assert.throws(() => maxWeightAssignment([[1], [2]]), /at least as many columns/);
  });
});

describe('statistics of the checks', () => {
  it('binomial upper tail matches hand-computed values', () => {
    assert.ok(Math.abs(binomialUpperTail(8, 10, 0.5) - 56 / 1024) < 1e-12);
    assert.equal(binomialUpperTail(0, 10, 0.3), 1);
    assert.equal(binomialUpperTail(11, 10, 0.3), 0);
    assert.ok(Math.abs(binomialUpperTail(10, 10, 0.1) - 1e-10) < 1e-20);
    // large n stays finite and sensible: P(X ≥ 1000 | n=10000, p=0.1) ≈ 0.5
    const p = binomialUpperTail(1000, 10000, 0.1);
    assert.ok(p > 0.45 && p < 0.55, String(p));
  });

  it('Wilson upper bound: 0 of 10 at z = 1.96 is 0.2775', () => {
    assert.ok(Math.abs(wilsonUpper(0, 10, 1.96) - 0.27754) < 1e-4);
    assert.equal(wilsonUpper(10, 10, 1.96), 1);
  });

  it('output range: min, max and row sums over every row', () => {
    let r = extendOutputRange(null, new Float32Array([0.25, 0.75, 0.5, 0.5]), 2);
    r = extendOutputRange(r, new Float32Array([-1, 3]), 2);
    assert.deepEqual(r, { min: -1, max: 3, rowSumMin: 1, rowSumMax: 2, rows: 3 });
    const inf = extendOutputRange(null, new Float32Array([-Infinity, 0]), 2);
    assert.equal(inf.min, -Number.MAX_VALUE);
    assert.equal(JSON.parse(JSON.stringify(inf)).min, -Number.MAX_VALUE);
  });

  it('the attack job tally counts as the clean evaluation does', () => {
    const tally = new CleanPredictionTally();
    // logits: rows predict 1, 0, 1; labels 1, 1, 0
    tally.add(new Float32Array([0, 2, 3, 1]), [1, 1], 'logits');
    tally.add(new Float32Array([0, 5]), [0], 'logits');
    const e = tally.evidence();
    assert.equal(e.evaluated, 3);
    assert.equal(e.top1Correct, 1);
    const p = (a: number, b: number) => 1 / (1 + Math.exp(a - b));
    assert.ok(Math.abs(e.meanConfidence - (p(0, 2) + p(1, 3) + p(0, 5)) / 3) < 1e-9);
    assert.deepEqual(
      [...(e.confusionCells ?? [])].sort(),
      [
        [0, 1, 1],
        [1, 0, 1],
        [1, 1, 1],
      ].sort(),
    );
    assert.deepEqual(e.outputRange, { min: 0, max: 5, rowSumMin: 2, rowSumMax: 5, rows: 3 });
  });
});
