/** `robustness-lens fourier-heatmap`: flag validation (usage errors naming the flag) and one run on a tiny linear model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fourierOptionsFromFlags } from '../../src/cli/fourierFlags';
import { EngineError } from '../../src/engine/errors';
import { REPO_ROOT } from '../helpers/shared';
import { linearTwoClass, writeImageFolder } from '../engine/certify/linearModel';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const usage = (flags: Record<string, string>, pattern: RegExp) =>
  assert.throws(
    () => fourierOptionsFromFlags(flags),
    (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message),
    JSON.stringify(flags),
  );

test('fourier-heatmap flags: defaults and explicit values', () => {
  assert.deepEqual(fourierOptionsFromFlags({}), { epsilon: null, maxSide: 32, cutoff: null });
  assert.deepEqual(fourierOptionsFromFlags({ eps: '4', grid: '16', cutoff: '8' }), { epsilon: 4, maxSide: 16, cutoff: 8 });
});

test('fourier-heatmap flags: an ε that is not positive, and bad grids and cutoffs, are usage errors naming the flag', () => {
  usage({ eps: '0' }, /^--eps 0: expected a positive L2 norm/);
  usage({ eps: '-2' }, /^--eps -2: expected a positive L2 norm/);
  usage({ eps: 'abc' }, /^--eps abc: expected a positive L2 norm/);
  usage({ eps: '' }, /^--eps : expected a positive L2 norm/);
  usage({ grid: '1' }, /^--grid 1: expected a whole number ≥ 2/);
  usage({ grid: '300' }, /^--grid 300: expected at most 256/);
  usage({ cutoff: '0' }, /^--cutoff 0: expected a whole number ≥ 1/);
});

test('fourier-heatmap on the command line: usage exit code 2; a run prints the summary and writes report.json (--json -)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-fourier-'));
  try {
    const model = linearTwoClass();
    writeFileSync(join(dir, 'linear.onnx'), model.bytes);
    writeImageFolder(join(dir, 'images'), model, 6);
    const bad = cli(['fourier-heatmap', join(dir, 'linear.onnx'), '--images', join(dir, 'images'), '--eps', '0']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--eps 0: expected a positive L2 norm/);
    const out = join(dir, 'run');
    const r = cli(['fourier-heatmap', join(dir, 'linear.onnx'), '--images', join(dir, 'images'), '--cutoff', '1', '--quiet', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ε = 0\.5, 6 images of 1×4×4; every frequency, 4×4 cells/);
    assert.match(r.stdout, /^ {2}model: clean error 0\.0 %, mean error \d+\.\d %, peak/m);
    assert.match(r.stdout, /^ {2}low-pass, cutoff 1: clean error/m);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(report.command, 'fourier-heatmap');
    assert.equal(report.sections.fourierHeatmap.maps[0].errorRate.length, 16);
    const json = cli([
      'fourier-heatmap',
      join(dir, 'linear.onnx'),
      '--images',
      join(dir, 'images'),
      '--eps',
      '1',
      '--json',
      '-',
      '--out',
      out,
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).sections.fourierHeatmap.params.epsilon, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
