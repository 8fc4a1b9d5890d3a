/**
 * "Probabilities fed where logits were expected", end to end: a model whose Softmax is hidden behind a Mul
 * (the graph check cannot see it, the first batch's rows sum to 1.004, so the outputs are taken as logits)
 * fires the check on a real eval run; the same model ending in a plain Softmax (recognised) does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runEvalJob } from '../../../src/engine/jobs/evalJob';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import type { SanitySection } from '../../../src/engine/report/sections';
import { Rng } from '../../../src/engine/util/random';
import { REPO_ROOT } from '../../helpers/shared';

const IMAGES = resolve(REPO_ROOT, 'samples', 'images');

function softmaxModel(scaleAfter: number | null): Uint8Array {
  const rng = new Rng(11);
  const w = Float32Array.from({ length: 10 * 784 }, () => rng.normal() * 0.05);
  const nodes = [
    makeNode('Flatten', ['x'], ['f'], { axis: 1 }),
    makeNode('Gemm', ['f', 'w', 'b'], ['z'], { transB: 1 }),
    makeNode('Softmax', ['z'], scaleAfter === null ? ['scores'] : ['p'], { axis: 1 }),
    ...(scaleAfter === null ? [] : [makeNode('Mul', ['p', 'k'], ['scores'])]),
  ];
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
          ...(scaleAfter === null ? [] : [makeTensor('k', [1], Float32Array.of(scaleAfter))]),
        ],
      },
    }),
  );
}

test('a Softmax the graph check cannot see: probabilities treated as logits is an error; a plain Softmax is fine', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-sanity-kind-'));
  try {
    const run = async (name: string, bytes: Uint8Array) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const report = await runEvalJob({ modelPath: path, overrides: { images: IMAGES, limit: 40, runtime: { executionProvider: 'cpu' } } });
      return { report, sanity: report.sections.sanity as SanitySection };
    };
    const hidden = await run('hidden.onnx', softmaxModel(1.004));
    assert.equal(hidden.report.model.outputKind?.kind, 'logits');
    assert.equal(hidden.report.model.outputKind?.decidedBy, 'probe');
    const finding = hidden.sanity.findings.find((f) => f.check === 'probabilities-as-logits');
    assert.ok(finding, JSON.stringify(hidden.sanity.findings));
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /rows sum to 1\.00[34]\d–1\.00[45]\d/);
    assert.ok(hidden.report.warnings.includes(finding.message));
    // softmax of values in [0, 1.004]: the confidence can never pass e^1.004 / (e^1.004 + 9)
    assert.ok(hidden.report.sections.clean!.meanConfidence < Math.exp(1.004) / (Math.exp(1.004) + 9));

    const plain = await run('plain.onnx', softmaxModel(null));
    assert.equal(plain.report.model.outputKind?.kind, 'probabilities');
    assert.ok(!plain.sanity.findings.some((f) => f.check === 'probabilities-as-logits'), JSON.stringify(plain.sanity.findings));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
