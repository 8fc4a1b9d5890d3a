import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { ModelSession } from '../../../src/engine/runtime/modelSession';
import { providerCandidates } from '../../../src/engine/runtime/executionProvider';
import { EngineError } from '../../../src/engine/errors';

// y = Flatten(x) · Wᵀ + b with x [B,1,2,2], W [3,4]: each output row is computable by hand.
const W = [1, 0, 0, 0, 0, 1, 2, 0, -1, -1, -1, -1];
const B = [0.5, 0, 1];
function linearModel(batch: number | string, elemType = 'float32'): Uint8Array {
  return encodeModel(
    makeModel({
      graph: {
        nodes: [makeNode('Flatten', ['x'], ['f']), makeNode('Gemm', ['f', 'W', 'b'], ['y'], { transB: 1 })],
        inputs: [makeValueInfo('x', elemType, [batch, 1, 2, 2])],
        outputs: [makeValueInfo('y', 'float32', [batch, 3])],
        initializers: [makeTensor('W', [3, 4], W), makeTensor('b', [3], B)],
      },
    }),
  );
}
function expected(x: Float32Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let o = 0; o < 3; o++) {
      let s = B[o];
      for (let k = 0; k < 4; k++) s += W[o * 4 + k] * x[i * 4 + k];
      out.push(s);
    }
  return out;
}
const x = new Float32Array(40).map((_, i) => (i % 7) / 7 - 0.3);

for (const batch of [1, 7, 'N'] as const) {
  test(`runs 10 samples through a model with batch ${batch} (split into fixed batches, padding dropped)`, async () => {
    const s = await ModelSession.open(linearModel(batch), { executionProvider: 'cpu', threads: 1 }, `linear-b${batch}`);
    try {
      assert.equal(s.fixedBatch('x'), typeof batch === 'number' ? batch : null);
      const out = await s.run('x', 'y', x, 10, [1, 2, 2], 4);
      assert.deepEqual(out.dims, [10, 3]);
      const want = expected(x, 10);
      out.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${i}: ${v} vs ${want[i]}`));
    } finally {
      await s.dispose();
    }
  });
}

test('a non-float32 input is refused with the expected type named', async () => {
  const s = await ModelSession.open(linearModel('N', 'float32'), { executionProvider: 'cpu', threads: 1 }, 'm.onnx');
  try {
    assert.doesNotThrow(() => s.assertFloat32Input('x'));
    assert.throws(() => s.assertFloat32Input('nope'), /no input "nope"/);
  } finally {
    await s.dispose();
  }
  const dir = mkdtempSync(join(tmpdir(), 'rl-u8-'));
  try {
    const u8 = encodeModel(
      makeModel({
        graph: {
          nodes: [makeNode('Cast', ['x'], ['xf'], { to: 1 }), makeNode('Flatten', ['xf'], ['y'])],
          inputs: [makeValueInfo('x', 'uint8', ['N', 1, 2, 2])],
          outputs: [makeValueInfo('y', 'float32', ['N', 4])],
        },
      }),
    );
    writeFileSync(join(dir, 'u8.onnx'), u8);
    const s8 = await ModelSession.open(join(dir, 'u8.onnx'), { executionProvider: 'cpu', threads: 1 });
    try {
      assert.throws(
        () => s8.assertFloat32Input('x'),
        (e: unknown) => e instanceof EngineError && /u8\.onnx: input "x" has element type uint8/.test(e.message),
      );
    } finally {
      await s8.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('auto falls back to cpu and records the providers it tried', async () => {
  assert.deepEqual(providerCandidates('auto', 'linux'), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(providerCandidates('auto', 'win32'), ['cuda', 'dml', 'webgpu', 'cpu']);
  assert.deepEqual(providerCandidates('auto', 'darwin'), ['coreml', 'webgpu', 'cpu']);
  const s = await ModelSession.open(linearModel('N'), { executionProvider: 'auto', threads: 1 });
  try {
    assert.ok(s.attempts.length >= 1);
    assert.equal(s.attempts[s.attempts.length - 1].provider, s.provider);
    assert.ok(s.attempts.slice(0, -1).every((a) => !a.ok && a.error));
  } finally {
    await s.dispose();
  }
});

test(
  'an explicitly requested provider that cannot load is an error naming it, with a hint, under strictProvider',
  { skip: process.platform === 'win32' ? 'dml may exist on Windows' : false },
  async () => {
    await assert.rejects(
      ModelSession.open(linearModel('N'), { executionProvider: 'dml', threads: 1, strictProvider: true }, 'm.onnx'),
      (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.match(e.message, /m\.onnx: onnxruntime could not open the model with execution provider dml \(dml: [^)]*no dml provider/);
        assert.match(e.describe(), /drop --ep-strict to fall back to CPU/);
        return true;
      },
    );
  },
);

test(
  'without strictProvider, an unavailable named provider falls back to cpu: same outputs, a note naming the provider and why',
  { skip: process.platform === 'win32' ? 'dml may exist on Windows' : false },
  async () => {
    const s = await ModelSession.open(linearModel('N'), { executionProvider: 'dml', threads: 1 }, 'm.onnx');
    try {
      assert.equal(s.provider, 'cpu');
      assert.deepEqual(
        s.attempts.map((a) => [a.provider, a.ok]),
        [
          ['dml', false],
          ['cpu', true],
        ],
      );
      assert.match(s.fallbackNote ?? '', /^execution provider dml is not available here \(.*no dml provider.*\); ran on cpu instead/);
      const out = await s.run('x', 'y', x, 10, [1, 2, 2]);
      const want = expected(x, 10);
      out.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${i}: ${v} vs ${want[i]}`));
    } finally {
      await s.dispose();
    }
    const cpu = await ModelSession.open(linearModel('N'), { executionProvider: 'cpu', threads: 1 }, 'm.onnx');
    const auto = await ModelSession.open(linearModel('N'), { executionProvider: 'auto', threads: 1 }, 'm.onnx');
    try {
      assert.equal(cpu.fallbackNote, null);
      assert.equal(auto.fallbackNote, null, 'auto is expected to pick what works: no note');
    } finally {
      await cpu.dispose();
      await auto.dispose();
    }
  },
);
