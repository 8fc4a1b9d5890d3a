import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/shared';
import { makeModel, makeNode, makeValueInfo } from '../../src/engine/onnx/build';
import { encodeModel } from '../../src/engine/onnx/onnxProto';
import { ModelSession } from '../../src/engine/runtime/modelSession';

const SAMPLE = resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether CUDA really runs here (then the fallback cannot be seen with it). */
async function cudaWorks(): Promise<boolean> {
  const tiny = encodeModel(
    makeModel({
      graph: {
        nodes: [makeNode('Relu', ['x'], ['y'])],
        inputs: [makeValueInfo('x', 'float32', [1, 2])],
        outputs: [makeValueInfo('y', 'float32', [1, 2])],
      },
    }),
  );
  try {
    const s = await ModelSession.open(tiny, { executionProvider: 'cuda', strictProvider: true, threads: 1 });
    await s.dispose();
    return true;
  } catch {
    return false;
  }
}

test('doctor: exit 0 with CPU working, the table and a reason for every provider that does not work; --json - gives the same', () => {
  const text = cli(['doctor', '--threads', '1']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^provider +in build +session +forward +gradient +works$/m);
  assert.match(text.stdout, /^cpu +yes +ok [\d.]+ ms +ok [\d.]+ ms +ok [\d.]+ ms +yes$/m);
  assert.match(text.stdout, /^cpu: works$/m);
  assert.match(text.stdout, /^gradient step +.*samples\/fashion-resnet\.onnx$/m);
  const json = cli(['doctor', '--threads', '1', '--json', '-']);
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as {
    cpuWorks: boolean;
    providers: { name: string; works: boolean; reason: string | null }[];
    gradientModel: { path: string };
  };
  assert.equal(r.cpuWorks, true);
  assert.equal(r.gradientModel.path, SAMPLE);
  for (const p of r.providers) {
    const line = new RegExp(`^${p.name}: ${p.works ? 'works' : 'does not work'}`, 'm');
    assert.match(text.stdout, line, `${p.name}'s verdict is printed as the JSON says`);
    if (!p.works) assert.ok(p.reason, `${p.name} has a reason`);
  }
  const usage = cli(['doctor', 'extra']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /doctor takes no positional arguments/);
});

test('--ep cuda where CUDA cannot run: the run completes on CPU with the same results and a note in the report and the output; --ep-strict fails', async (t) => {
  if (await cudaWorks()) return t.skip('CUDA runs on this machine: no fallback to see');
  const dir = mkdtempSync(join(tmpdir(), 'rl-ep-'));
  try {
    const cpuOut = join(dir, 'cpu.json');
    const cudaOut = join(dir, 'cuda.json');
    const cpu = cli(['eval', SAMPLE, '--limit', '12', '--quiet', '--json', cpuOut]);
    assert.equal(cpu.code, 0, cpu.stderr);
    const cuda = cli(['eval', SAMPLE, '--limit', '12', '--quiet', '--ep', 'cuda', '--json', cudaOut]);
    assert.equal(cuda.code, 0, cuda.stderr);
    const a = JSON.parse(readFileSync(cpuOut, 'utf8'));
    const b = JSON.parse(readFileSync(cudaOut, 'utf8'));
    assert.equal(b.status, 'complete');
    assert.equal(b.runtime.requestedProvider, 'cuda');
    assert.equal(b.runtime.executionProvider, 'cpu');
    assert.deepEqual(
      b.runtime.attempts.map((x: { provider: string; ok: boolean }) => [x.provider, x.ok]),
      [
        ['cuda', false],
        ['cpu', true],
      ],
    );
    assert.match(b.runtime.fallback, /^execution provider cuda is not available here \(.+\); ran on cpu instead/);
    assert.equal(b.warnings[0], b.runtime.fallback);
    assert.equal(a.runtime.fallback, undefined);
    assert.ok(!a.warnings.some((w: string) => /execution provider/.test(w)));
    // same images, same provider in the end: same predictions
    assert.equal(b.sections.clean.top1Correct, a.sections.clean.top1Correct);
    assert.deepEqual(b.sections.clean.confusion, a.sections.clean.confusion);
    assert.deepEqual(b.sections.clean.predictions, a.sections.clean.predictions);
    assert.match(cuda.stdout, /^runtime +onnxruntime \S+, cpu \(requested cuda\)/m);
    assert.match(cuda.stdout, /^warning: execution provider cuda is not available here/m);
    const strict = cli(['eval', SAMPLE, '--limit', '12', '--quiet', '--ep', 'cuda', '--ep-strict']);
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /could not open the model with execution provider cuda \(cuda: /);
    assert.match(strict.stderr, /drop --ep-strict to fall back to CPU/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
