/** `robustness-lens invert`: flag validation (usage errors naming the flag) and one run on the shared MNIST CNN. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { invertOptionsFromFlags } from '../../src/cli/invertFlags';
import { EngineError } from '../../src/engine/errors';
import { REPO_ROOT, SKIP_NO_SHARED, sharedPath } from '../helpers/shared';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const usage = (flags: Record<string, string>, pattern: RegExp) =>
  assert.throws(
    () => invertOptionsFromFlags(flags, null),
    (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message),
    JSON.stringify(flags),
  );

test('invert flags: defaults and explicit values', () => {
  assert.deepEqual(invertOptionsFromFlags({}, '/run'), {
    compareModelPath: null,
    layer: null,
    steps: 200,
    stepSize: null,
    examples: 4,
    outDir: '/run',
  });
  assert.deepEqual(invertOptionsFromFlags({ compare: 'robust.onnx', layer: 'fc1', steps: '50', 'step-size': '0.5', examples: '0' }, null), {
    compareModelPath: 'robust.onnx',
    layer: 'fc1',
    steps: 50,
    stepSize: 0.5,
    examples: 0,
    outDir: null,
  });
});

test('invert flags: bad steps, step sizes, examples and an empty layer are usage errors naming the flag', () => {
  usage({ steps: '0' }, /^--steps 0: expected a whole number ≥ 1/);
  usage({ steps: '200000' }, /^--steps 200000: expected at most 100000/);
  usage({ 'step-size': '0' }, /^--step-size 0: expected a positive L2 length/);
  usage({ 'step-size': 'x' }, /^--step-size x: expected a positive L2 length/);
  usage({ examples: '65' }, /^--examples 65: expected at most 64/);
  usage({ layer: ' ' }, /^--layer: expected a tensor name/);
});

test(
  'invert on the command line: an unknown tensor exits 2 naming the nearest; a run prints the shares and writes report.json',
  { skip: SKIP_NO_SHARED },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-cli-invert-'));
    try {
      const model = sharedPath('models', 'mnist-cnn.onnx');
      const images = sharedPath('datasets', 'mnist-test');
      const bad = cli(['invert', model, '--images', images, '--limit', '4', '--layer', 'relu_out', '--quiet', '--out', join(dir, 'bad')]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /no tensor named "relu_out" in the graph/);
      assert.match(bad.stderr, /nearest names: .*Relu_output_0/);
      const out = join(dir, 'run');
      const r = cli(['invert', model, '--images', images, '--limit', '4', '--steps', '3', '--examples', '1', '--quiet', '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /feature inversion \(Ilyas et al\. 2019\), 4 images of 1×28×28/);
      assert.match(r.stdout, /bands {4}low 0–8, mid 9–18, high 19–27/);
      assert.match(r.stdout, /\|DCT\(x_r − x₀\)\| shares: low \d+\.\d%, mid \d+\.\d%, high \d+\.\d%/);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      assert.equal(report.command, 'invert');
      assert.equal(report.sections.inversion.models[0].stepsRun, 3);
      const example = report.sections.inversion.models[0].examples[0];
      for (const f of [example.target, example.start, example.inverted]) assert.ok(existsSync(join(out, f)), f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
