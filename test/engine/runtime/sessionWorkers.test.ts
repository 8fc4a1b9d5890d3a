import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { GradientModel } from '../../../src/engine/grad/gradientModel';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { SessionWorkers } from '../../../src/engine/runtime/sessionWorkers';
import { Rng } from '../../../src/engine/util/random';
import { REPO_ROOT } from '../../helpers/shared';

const SAMPLE = resolve(REPO_ROOT, 'samples/fashion-resnet.onnx');

async function sampleBuilder() {
  const prepared = await prepareModel({ modelPath: SAMPLE, overrides: { runtime: { executionProvider: 'cpu' } } });
  return gradientBuilderFor(prepared, 'logits', 10);
}

async function gradientModels() {
  const builder = await sampleBuilder();
  const open = (threads: number) =>
    GradientModel.open(builder, { kind: 'cross-entropy' }, { executionProvider: 'cpu', threads, maxBatch: 64, label: 'sample' });
  return { builder, one: await open(1), two: await open(2) };
}

function maxRelativeDiff(a: Float32Array, b: Float32Array): number {
  let d = 0,
    m = 1e-12;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(a[i]));
  }
  return d / m;
}

test("a convolutional model's gradient shared out to two single-threaded workers equals the one-session gradient, row for row", async () => {
  const { builder, one, two } = await gradientModels();
  try {
    assert.equal(two.parallelWorkers, 2, 'threads 2 on a Conv model: two worker sessions');
    assert.equal(one.parallelWorkers, 1);
    const per = builder.pixelShape.reduce((a, b) => a * b, 1);
    const rng = new Rng(5);
    // 7 rows split 3 + 4; 3 rows stay on the main session (fewer than two per worker)
    for (const count of [7, 3, 40]) {
      const pixels = Float32Array.from({ length: count * per }, () => rng.next());
      const labels = Array.from({ length: count }, (_, i) => (i * 3) % 10);
      const [a, b] = [await one.compute(pixels, count, { labels }), await two.compute(pixels, count, { labels })];
      assert.equal(b.grad.length, count * per);
      assert.equal(b.logits.length, count * 10);
      assert.ok(maxRelativeDiff(a.grad, b.grad) < 1e-5, `${count} rows: gradients differ by ${maxRelativeDiff(a.grad, b.grad)}`);
      assert.ok(maxRelativeDiff(a.logits, b.logits) < 1e-5, `${count} rows: logits differ`);
      assert.ok(maxRelativeDiff(a.loss, b.loss) < 1e-5, `${count} rows: losses differ`);
    }
  } finally {
    await one.dispose();
    await two.dispose();
  }
});

test("a worker's inference error comes back as a RUNTIME error naming the model; disposed workers refuse work", async () => {
  const builder = await sampleBuilder();
  const bytes = encodeModel(builder.build({ kind: 'cross-entropy' }));
  const workers = await SessionWorkers.open(
    bytes,
    2,
    { executionProviders: ['cpu'], graphOptimizationLevel: 'all' },
    'sample (gradient model)',
  );
  try {
    await assert.rejects(
      workers.run(4, ['rl.grad'], (_, n) => [{ name: 'rl.pixels', type: 'float32', data: new Float32Array(n * 5), dims: [n, 5] }]),
      (e: Error & { code?: string }) =>
        e.code === 'RUNTIME' && /sample \(gradient model\): inference failed in a session worker/.test(e.message),
    );
  } finally {
    await workers.dispose();
  }
  await assert.rejects(
    workers.run(4, ['rl.grad'], () => []),
    /session worker/,
  );
});

test("closing worker sessions always completes and refuses later work at once (a close raced the thread's own exit and hung about 1 in 10 times)", async () => {
  const builder = await sampleBuilder();
  const bytes = encodeModel(builder.build({ kind: 'cross-entropy' }));
  for (let i = 0; i < 15; i++) {
    const workers = await SessionWorkers.open(
      bytes,
      2,
      { executionProviders: ['cpu'], graphOptimizationLevel: 'all' },
      'sample (gradient model)',
    );
    await workers.dispose();
    await assert.rejects(
      workers.run(4, ['rl.grad'], () => []),
      /sample \(gradient model\): the session worker was closed/,
    );
  }
});

test('idle worker sessions never keep the process alive (a session nobody disposed cannot hang the CLI at exit)', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `
    const { gradientBuilderFor } = require('./src/engine/grad/forClassifier');
    const { GradientModel } = require('./src/engine/grad/gradientModel');
    const { prepareModel } = require('./src/engine/jobs/prepare');
    (async () => {
      const prepared = await prepareModel({ modelPath: ${JSON.stringify(SAMPLE)}, overrides: { runtime: { executionProvider: 'cpu' } } });
      const g = await GradientModel.open(await gradientBuilderFor(prepared, 'logits', 10), { kind: 'cross-entropy' }, { executionProvider: 'cpu', threads: 2, maxBatch: 8, label: 's' });
      const r = await g.compute(new Float32Array(8 * 784).fill(0.5), 8, { labels: [0, 1, 2, 3, 4, 5, 6, 7] });
      console.log('workers', g.parallelWorkers, 'rows', r.loss.length);
    })();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /workers 2 rows 8/, 'the run finished on the workers, then the process exited by itself');
});
