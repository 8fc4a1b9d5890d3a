/** `robustness-lens checkpoints`: flags (usage errors naming the flag) and a run on the fixture checkpoints, then a cached re-run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkpointOptionsFromFlags } from '../../src/cli/checkpointsFlags';
import { EngineError } from '../../src/engine/errors';
import type { CheckpointsSection } from '../../src/protocol/checkpoints';
import { REPO_ROOT } from '../helpers/shared';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'checkpoints');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const usage = (flags: Record<string, string | boolean>, pattern: RegExp) =>
  assert.throws(
    () => checkpointOptionsFromFlags(flags, '/w/ckpt'),
    (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message),
    JSON.stringify(flags),
  );

test('checkpoints flags: defaults, explicit values, and usage errors naming the flag', () => {
  assert.deepEqual(checkpointOptionsFromFlags({}, '/w/ckpt'), {
    norm: 'l2',
    epsilon: null,
    pgdSteps: 10,
    pgdAlpha: null,
    cutoff: null,
    cacheDir: '/w/ckpt/.robustness/checkpoint-cache',
  });
  assert.deepEqual(
    checkpointOptionsFromFlags({ norm: 'linf', eps: '8/255', steps: '20', alpha: '1/255', cutoff: '3', 'no-cache': true }, '/w/ckpt'),
    { norm: 'linf', epsilon: 8 / 255, pgdSteps: 20, pgdAlpha: 1 / 255, cutoff: 3, cacheDir: null },
  );
  assert.equal(checkpointOptionsFromFlags({ cache: '/tmp/c' }, '/w/ckpt').cacheDir, '/tmp/c');
  usage({ norm: 'l1' }, /^--norm l1: expected l2 \| linf/);
  usage({ eps: '0' }, /^--eps 0: expected a positive number/);
  usage({ norm: 'linf', eps: '2' }, /^--eps 2: expected a positive number up to 1/);
  usage({ steps: '0' }, /^--steps 0: expected a whole number ≥ 1/);
  usage({ cache: '/c', 'no-cache': true }, /--cache and --no-cache exclude each other/);
});

test('checkpoints on the command line: an empty folder is a usage error; a run prints one row per checkpoint; the re-run reads the cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-ckpt-'));
  try {
    const empty = cli(['checkpoints', dir, '--images', join(FIXTURES, 'images'), '--quiet']);
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /holds no \.onnx files/);
    for (const f of ['ckpt-1.onnx', 'ckpt-10.onnx']) copyFileSync(join(FIXTURES, 'models', f), join(dir, f));
    mkdirSync(join(dir, 'out'));
    const args = ['checkpoints', dir, '--images', join(FIXTURES, 'images'), '--eps', '0.5', '--steps', '3', '--quiet'];
    const first = cli([...args, '--out', join(dir, 'out', 'a')]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /2 checkpoints, by the number in each file name/);
    assert.match(first.stdout, /\n {2}1 +ckpt-1\.onnx .*computed/);
    assert.match(first.stdout, /\n {2}10 +ckpt-10\.onnx .*computed/);
    assert.match(first.stdout, /computed 2, from the cache 0, failed 0/);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'a', 'report.json'), 'utf8')) as {
      sections: { checkpoints: CheckpointsSection };
    };
    assert.equal(report.sections.checkpoints.entries.length, 2);
    const second = cli([...args, '--out', join(dir, 'out', 'b')]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /computed 0, from the cache 2, failed 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
