/**
 * Issue #7 through the CLI: a few corpus cases as a user meets them — exit code, the one-line message on
 * stderr, and no stack trace. The runs go in parallel (each is a separate process).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FOLDER_CASES, modelCase, writeModelCase } from '../fixtures/bad/corpus';
import { hugePng } from '../fixtures/bad/images';
import { grayPng } from '../engine/data/helpers';
import { REPO_ROOT } from '../helpers/shared';

interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((res) => {
    const p = spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPO_ROOT });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
}

function assertCleanError(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.signal, null, `killed by ${r.signal}`);
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  assert.doesNotMatch(r.stderr, /this is a bug in robustness-lens/);
}

let root: string;
let runs: Record<string, Run>;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'rl-bad-cli-'));
  const path = (id: string) => writeModelCase(modelCase(id), root);
  const images = join(root, 'images');
  for (const c of ['a', 'b', 'c']) mkdirSync(join(images, c), { recursive: true });
  writeFileSync(join(images, 'a', 'huge.png'), hugePng());
  writeFileSync(join(images, 'b', 'empty.png'), new Uint8Array(0));
  writeFileSync(join(images, 'c', 'ok.png'), grayPng(8, 8, 200));
  const loop = join(root, 'loop');
  mkdirSync(loop);
  const loopDir = FOLDER_CASES.find((c) => c.id === 'd-symlink-loop')!.build(loop);
  const base = path('m-external-ok');
  const entries: [string, string[]][] = [
    ['empty', ['info', path('m-empty')]],
    ['info-missing-initializer', ['info', path('m-missing-initializer')]],
    ['eval-missing-initializer', ['eval', path('m-missing-initializer'), '--images', loopDir]],
    ['unknown-op', ['eval', path('m-unknown-op'), '--images', loopDir]],
    ['nan', ['eval', path('m-nan-weights'), '--images', loopDir]],
    ['bad-images', ['eval', base, '--images', images]],
    ['symlink-loop', ['eval', base, '--images', loopDir]],
  ];
  runs = Object.fromEntries(await Promise.all(entries.map(async ([k, args]) => [k, await cli(args)] as const)));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('info on an empty .onnx: exit 1, "not an ONNX model"', () => {
  assertCleanError(runs.empty, 1, /^error: .*m-empty\/model\.onnx: not an ONNX model: the file is empty \(0 bytes\)\n$/);
});

// One check (loadModel's) for both commands: the same message, before any dataset or onnxruntime work.
const MISSING_W =
  /^error: .*m-missing-initializer\/model\.onnx: node "fc" \(Gemm\) reads 'W', which is neither a graph input, an initializer nor the output of a node \(a missing initializer\?\)\n$/;

test('info on a model whose Gemm reads a missing initializer: exit 1, the node and the tensor named', () => {
  assertCleanError(runs['info-missing-initializer'], 1, MISSING_W);
});

test('eval on the same model: exit 1, the same message', () => {
  assertCleanError(runs['eval-missing-initializer'], 1, MISSING_W);
});

test("eval with an unknown op: exit 1, onnxruntime's reason naming the node and op", () => {
  assertCleanError(
    runs['unknown-op'],
    1,
    /^dataset: 3 images in 3 classes, evaluating 3\nerror: .*m-unknown-op\/model\.onnx: onnxruntime could not open the model .*\("frob", Frobnicate, "", -1\).*No Op registered for Frobnicate/,
  );
});

test('eval with NaN weights: exit 1, the non-finite scores named', () => {
  assertCleanError(
    runs.nan,
    1,
    /^dataset: 3 images in 3 classes, evaluating 3\nerror: .*m-nan-weights\/model\.onnx: output "y" holds 9 non-finite scores in a batch of 3 images \(first: image 0, class 0 is NaN\)\n {2}hint: check the weights for NaN\/Inf/,
  );
});

test('eval over a 10000×10000 PNG and a 0-byte PNG: exit 0, both skipped and named, the good image evaluated', () => {
  const r = runs['bad-images'];
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /skipped +2 unreadable image\(s\):/);
  assert.match(r.stdout, /huge\.png: image too large \(10000×10000 = 100\.0 MP; the limit is 50\.0 MP\)/);
  assert.match(r.stdout, /empty\.png: empty file \(0 bytes\)/);
  assert.match(r.stdout, /top-1 +1 \/ 1 correct/);
});

test('eval over a folder with a symlink loop: exit 0, 3 images, the loop not followed', () => {
  const r = runs['symlink-loop'];
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /top-1 +\d+ \/ 3 correct/);
});
