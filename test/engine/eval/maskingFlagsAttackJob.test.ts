/**
 * The masking flags of real attack runs on small linear models built here (28×28 → 10, the sample images):
 * a plain Softmax output raises "probabilities at the output" (the output kind), a Softmax hidden behind a Mul
 * raises it from the sanity finding; logits scaled so far that the softmax rounds to one-hot in float32 give
 * an all-zero cross-entropy gradient at every attacked image (the closed form softmax − one-hot underflows),
 * and the same weights unscaled give none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runAttackJob } from '../../../src/engine/jobs/attackJob';
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import type { FlagsSection } from '../../../src/engine/report/sections';
import { Rng } from '../../../src/engine/util/random';
import { REPO_ROOT } from '../../helpers/shared';

const IMAGES = resolve(REPO_ROOT, 'samples', 'images');

/** Linear scores ×`scale`; then a plain Softmax, a Softmax times `hiddenScale`, or nothing (logits). */
function linearModel(scale: number, head: 'logits' | 'softmax' | { hiddenScale: number }): Uint8Array {
  const rng = new Rng(11);
  const w = Float32Array.from({ length: 10 * 784 }, () => rng.normal() * 0.05 * scale);
  const nodes = [
    makeNode('Flatten', ['x'], ['f'], { axis: 1 }),
    makeNode('Gemm', ['f', 'w', 'b'], [head === 'logits' ? 'scores' : 'z'], { transB: 1 }),
  ];
  if (head === 'softmax') nodes.push(makeNode('Softmax', ['z'], ['scores'], { axis: 1 }));
  else if (head !== 'logits') nodes.push(makeNode('Softmax', ['z'], ['p'], { axis: 1 }), makeNode('Mul', ['p', 'k'], ['scores']));
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes,
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 28, 28])],
        outputs: [makeValueInfo('scores', 'float32', ['N', 10])],
        initializers: [
          makeTensor('w', [10, 784], w),
          makeTensor('b', [10], new Float32Array(10)),
          ...(typeof head === 'object' ? [makeTensor('k', [1], Float32Array.of(head.hiddenScale))] : []),
        ],
      },
    }),
  );
}

test('attack job: probabilities at the output and all-zero gradients are flagged on the models that have them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-flags-'));
  try {
    const run = async (name: string, bytes: Uint8Array) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const report = await runAttackJob(
        { modelPath: path, overrides: { images: IMAGES, limit: 40, seed: 0, runtime: { executionProvider: 'cpu', threads: 1 } } },
        {
          attacks: [{ name: 'fgsm', params: { eps: 8 / 255 } }],
          criterion: 'top1',
          target: null,
          gradient: 'analytic',
          gallery: 0,
          outDir: null,
        },
      );
      const flags = report.sections.flags as FlagsSection;
      return { flags, ids: flags.flags.map((f) => f.id), attacked: (report.sections.attacks as AttacksSection).runs[0].attackedImages };
    };

    const plain = await run('plain.onnx', linearModel(1, 'softmax'));
    assert.equal(plain.flags.measurements.outputKind, 'probabilities');
    assert.ok(plain.ids.includes('probabilities-output'), plain.ids.join());
    const hidden = await run('hidden.onnx', linearModel(1, { hiddenScale: 1.004 }));
    assert.equal(hidden.flags.measurements.outputKind, 'logits');
    const fromSanity = hidden.flags.flags.find((f) => f.id === 'probabilities-output');
    assert.ok(fromSanity && /probabilities fed where logits were expected/.test(fromSanity.summary), hidden.ids.join());

    const logits = await run('logits.onnx', linearModel(1, 'logits'));
    assert.ok(logits.attacked > 0, 'some images were attacked');
    assert.deepEqual(logits.flags.measurements.gradients, { images: logits.attacked, zero: 0, nan: 0, infinite: 0 });
    assert.deepEqual(logits.ids, [], 'a plain logits model raises nothing');
    assert.equal(logits.flags.measurements.repeatability[0].differing, 0);

    // ×1e5: logit gaps in the thousands, far past float32's exp underflow (~104), so softmax is exactly one-hot.
    const saturated = await run('saturated.onnx', linearModel(1e5, 'logits'));
    assert.ok(saturated.attacked > 0, 'some images were attacked');
    assert.deepEqual(saturated.flags.measurements.gradients, { images: saturated.attacked, zero: saturated.attacked, nan: 0, infinite: 0 });
    const zero = saturated.flags.flags.find((f) => f.id === 'gradient-zero-or-nonfinite');
    assert.ok(zero, saturated.ids.join());
    assert.equal(zero.evidence.zeroFraction, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
