import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, readFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/shared';

const SAMPLE = resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx');

function cli(args: string[], cwd = REPO_ROOT) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertCleanError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

test('eval on the bundled sample prints accuracy and writes a v1 report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-'));
  try {
    const out = join(dir, 'r.json');
    const r = cli(['eval', SAMPLE, '--json', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /top-1 +\d+ \/ 100 correct/);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(report.schema, 'robustness-lens/report');
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.status, 'complete');
    assert.equal(report.sections.clean.evaluated, 100);
    assert.equal(report.config.provenance['input.mean'], 'config');
    assert.equal(report.runtime.executionProvider, 'cpu');
    assert.match(report.model.sha256, /^117d78b5/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gradcheck agrees with finite differences on the sample model', () => {
  const r = cli(['gradcheck', SAMPLE, '--limit', '2']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(
    r.stdout,
    /AGREE: the analytic gradient matches finite differences: along the gradient worst relative error \S+ \(noise floor \S+\)/,
  );
  assert.match(r.stdout, /reference +float32 model, noise floor measured \(no float64 copy: onnxruntime has no float64 kernel for Conv/);
  assert.match(r.stdout, /head +cw-margin/);
  assertCleanError(cli(['gradcheck', SAMPLE, '--directions', '1']), 2, /--directions 1: expected a whole number of at least 2/);
  assertCleanError(cli(['gradcheck', SAMPLE, '--step', '2']), 2, /--step 2: expected a number between 0 and 1/);
  const estimated = cli(['gradcheck', SAMPLE, '--limit', '1', '--gradient', 'estimated']);
  assert.equal(estimated.code, 0, estimated.stderr);
  assert.match(estimated.stdout, /gradient +ESTIMATED \(NES, forward passes only\)/);
});

test('info describes the model', () => {
  const r = cli(['info', SAMPLE]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /input: NCHW, 1 channel\(s\), 28×28, batch dynamic/);
  assert.match(r.stdout, /parameters 33,594/);
  assert.match(r.stdout, /gradient +every op on the path from the image input to the scores has a gradient/);
  const j = cli(['info', SAMPLE, '--json', '-']);
  assert.equal(JSON.parse(j.stdout).parameterCount, 33594);
  assert.deepEqual(JSON.parse(j.stdout).diagnostics, []);
});

test('info --images warns ahead when the class folders do not match the outputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-info-'));
  try {
    for (const c of ['class0', 'class1']) {
      mkdirSync(join(dir, c));
      copyFileSync(
        resolve(REPO_ROOT, 'samples', 'images', 'bag', readdirSync(resolve(REPO_ROOT, 'samples', 'images', 'bag'))[0]),
        join(dir, c, 'a.png'),
      );
    }
    const r = cli(['info', SAMPLE, '--images', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /warning: .*2 class folders for a model with 10 outputs: they are mapped by sorted name to outputs 0…1 \(class0 → 0, class1 → 1\)/,
    );
    assert.match(r.stdout, /  hint: if these are not the model's first classes, give the class names/);
    const j = JSON.parse(cli(['info', SAMPLE, '--images', dir, '--json', '-']).stdout);
    assert.deepEqual(
      j.diagnostics.map((d: { code: string }) => d.code),
      ['CLASS_COUNT'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: specific messages, non-zero exit, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-bad-'));
  try {
    assertCleanError(cli(['info', join(dir, 'missing.onnx')]), 1, /missing\.onnx.*(not found|no such file)/i);
    writeFileSync(join(dir, 'text.onnx'), 'hello, this is not a model');
    assertCleanError(cli(['info', join(dir, 'text.onnx')]), 1, /text\.onnx.*not an ONNX model/);
    const bytes = readFileSync(SAMPLE);
    writeFileSync(join(dir, 'cut.onnx'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    assertCleanError(cli(['info', join(dir, 'cut.onnx')]), 1, /cut\.onnx/);
    mkdirSync(join(dir, 'empty'));
    copyFileSync(SAMPLE, join(dir, 'm.onnx'));
    assertCleanError(cli(['eval', join(dir, 'm.onnx'), '--images', join(dir, 'empty')]), 1, /empty.*no images/);
    assertCleanError(cli(['eval', join(dir, 'm.onnx')]), 2, /no image folder given[\s\S]*--images/);
    assertCleanError(
      cli(['eval', join(dir, 'm.onnx'), '--images', resolve(REPO_ROOT, 'samples/images'), '--layout', 'CHW']),
      2,
      /--layout: must be one of/,
    );
    assertCleanError(
      cli(['eval', join(dir, 'm.onnx'), '--images', resolve(REPO_ROOT, 'samples/images'), '--class-names', 'a,b']),
      1,
      /2 class names are configured but the model outputs 10/,
    );
    writeFileSync(join(dir, 'robustness.json'), '{"input": {"mean": "0.5"}}');
    assertCleanError(
      cli(['eval', join(dir, 'm.onnx'), '--images', resolve(REPO_ROOT, 'samples/images')]),
      1,
      /robustness\.json[\s\S]*input\.mean: must be array/,
    );
    assertCleanError(cli(['frobnicate']), 2, /unknown command "frobnicate"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt image is skipped, listed and counted; the run goes on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-corrupt-'));
  try {
    for (const [cls, file] of [
      ['coat', '0168.png'],
      ['bag', '0053.png'],
    ]) {
      mkdirSync(join(dir, 'imgs', cls), { recursive: true });
      copyFileSync(resolve(REPO_ROOT, 'samples/images', cls, file), join(dir, 'imgs', cls, 'a.png'));
    }
    writeFileSync(join(dir, 'imgs', 'bag', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
    const out = join(dir, 'r.json');
    const r = cli(['eval', SAMPLE, '--images', join(dir, 'imgs'), '--json', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /skipped +1 unreadable image/);
    assert.match(r.stdout, /broken\.png/);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(report.sections.clean.evaluated, 2);
    assert.equal(report.dataset.skippedImages.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
