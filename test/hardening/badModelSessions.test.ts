/**
 * Issue #7, bad models in onnxruntime: every corpus model that gets past loading and configuration is
 * opened as a Classifier and scores three flat images — in a child process, so a native abort would show
 * as CRASHED for that model instead of taking the test run down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelCase, writeModelCase } from '../fixtures/bad/corpus';
import { BIAS, CLASSES, SIDE } from '../fixtures/bad/models';
import { runIsolated, type SessionJob, type SessionOutcome } from './helpers/isolated';

/** Three flat 8×8 images of these levels. */
const LEVELS = [0.25, 0.5, 1];
const PIXELS = LEVELS.flatMap((v) => new Array<number>(SIDE * SIDE).fill(v));
/** Σ_p W[k][p] for the corpus weights W[k][p] = (k+1)(p+1)/64²: (k+1)·(64·65/2)/4096 = (k+1)·0.5078125. */
const logits = LEVELS.flatMap((v) => Array.from({ length: CLASSES }, (_, k) => BIAS[k] + v * (k + 1) * 0.5078125));
const softmaxRows = (xs: number[]) =>
  xs.map((_, i) => {
    const row = xs.slice(i - (i % CLASSES), i - (i % CLASSES) + CLASSES);
    const max = Math.max(...row);
    return Math.exp(xs[i] - max) / row.reduce((s, x) => s + Math.exp(x - max), 0);
  });
const probabilities = softmaxRows(logits);
const logProbabilities = probabilities.map(Math.log);

type Expect = { scores: number[]; kind: string; decidedBy: 'graph' | 'probe' } | { code: string; message: RegExp };

const works = (scores: number[], kind = 'logits', decidedBy: 'graph' | 'probe' = 'probe'): Expect => ({ scores, kind, decidedBy });
const ortFailed = (what: string): Expect => ({
  code: 'RUNTIME',
  message: new RegExp(`model\\.onnx: onnxruntime could not open the model with execution provider cpu \\(cpu: .*${what}`),
});

const CASES: Record<string, { overrides?: unknown; expect: Expect }> = {
  'm-external-ok': { expect: works(logits) },
  'm-cycle': { expect: ortFailed('the graph is not acyclic') },
  'm-unknown-op': {
    expect: ortFailed('In Node, \\("frob", Frobnicate, "", -1\\) .* No Op registered for Frobnicate with domain_version of 13'),
  },
  'm-custom-domain': { expect: ortFailed('com\\.example:Scale\\(-1\\) is not a registered function/op') },
  'm-dynamic-spatial': { overrides: { input: { size: SIDE } }, expect: works(logits) },
  'm-two-image-inputs': {
    overrides: { input: { name: 'left' } },
    expect: { code: 'MODEL_UNSUPPORTED', message: /model\.onnx: the model has other inputs besides "left": right$/ },
  },
  'm-1d-output': { expect: { code: 'MODEL_UNSUPPORTED', message: /model\.onnx: output "y" has shape \[3\]$/ } },
  'm-softmax': { expect: works(probabilities, 'probabilities', 'graph') },
  'm-softmax-flatten': { expect: works(probabilities, 'probabilities', 'graph') },
  'm-log-softmax': { expect: works(logProbabilities, 'log-probabilities', 'graph') },
  'm-hand-softmax': { expect: works(probabilities, 'probabilities', 'probe') },
  'm-nhwc': { expect: works(logits) },
  'm-batch-1': { expect: works(logits) },
  'm-batch-7': { expect: works(logits) },
  // Float16 models run in float32 (src/engine/onnx/float16.ts): the input becomes float32.
  'm-float16-input': { expect: works(logits) },
  'm-uint8-input': {
    expect: { code: 'MODEL_UNSUPPORTED', message: /model\.onnx: input "x8" has element type uint8; Robustness Lens feeds float32 pixels$/ },
  },
  // NaN weights do not upset onnxruntime; the scores check added to Classifier.scores reports them.
  'm-nan-weights': {
    expect: {
      code: 'MODEL_INVALID',
      message: /model\.onnx: output "y" holds 9 non-finite scores in a batch of 3 images \(first: image 0, class 0 is NaN\)$/,
    },
  },
  // ortMessage() strips onnxruntime's C++ file:line and function signature from this one.
  'm-future-opset': {
    expect: ortFailed(
      'failed:ONNX Runtime only \\*guarantees\\* support for models stamped with official released onnx opset versions\\. Opset 999 is under development',
    ),
  },
  'm-short-initializer': {
    expect: ortFailed(
      "Initializer 'W': raw_data size \\(10 bytes\\) does not match expected size from shape and data type \\(768 bytes\\)\\)$",
    ),
  },
  'm-two-outputs': { expect: works(logits) },
  'm-symbolic-classes': { expect: works(logits) },
};

describe('bad models in onnxruntime (child process)', () => {
  let root: string;
  let outcomes: Map<string, SessionOutcome>;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'rl-bad-sessions-'));
    const jobs: SessionJob[] = Object.entries(CASES).map(([id, c]) => ({
      id,
      modelPath: writeModelCase(modelCase(id), root),
      pixels: PIXELS,
      ...(c.overrides ? { overrides: c.overrides } : {}),
    }));
    outcomes = await runIsolated(jobs);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const [id, { expect }] of Object.entries(CASES)) {
    test(`${id} (${modelCase(id).what}): ${'code' in expect ? expect.code : `works, ${expect.kind} decided by ${expect.decidedBy}`}`, () => {
      const got = outcomes.get(id)!;
      if ('code' in expect) {
        assert.ok(!got.ok, `expected ${expect.code}, got scores ${JSON.stringify(got)}`);
        assert.equal(got.code, expect.code, got.message);
        assert.match(got.message, expect.message);
        assert.ok(got.message.startsWith(join(root, id, 'model.onnx')), `the message names the file: ${got.message}`);
        assert.doesNotMatch(got.message, /\.(h|cc|cpp):\d+/, 'no C++ source locations');
        return;
      }
      assert.ok(got.ok, `expected scores, got ${!got.ok ? `${got.code}: ${got.message}` : ''}`);
      assert.equal(got.kind, expect.kind);
      assert.equal(got.decidedBy, expect.decidedBy);
      assert.equal(got.scores.length, expect.scores.length);
      got.scores.forEach((v, i) =>
        assert.ok(
          Math.abs(v - expect.scores[i]) <= 1e-6 * Math.max(1, Math.abs(expect.scores[i])),
          `score ${i}: ${v} vs ${expect.scores[i]}`,
        ),
      );
    });
  }
});
