/** `robustness-lens certify`: flag validation (usage errors naming the flag) and one run on a tiny linear model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { certifyOptionsFromFlags } from '../../src/cli/certifyFlags';
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
    () => certifyOptionsFromFlags(flags),
    (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message),
    JSON.stringify(flags),
  );

test('certify flags: defaults, presets and explicit values', () => {
  assert.deepEqual(certifyOptionsFromFlags({}), {
    preset: 'full',
    sigmas: [0.12, 0.25, 0.5],
    n0: 100,
    n: 100_000,
    alpha: 0.001,
    attack: { radii: [0.25, 0.5], steps: 100, eotDraws: 20 },
  });
  assert.deepEqual(certifyOptionsFromFlags({ preset: 'fast' }), {
    preset: 'fast',
    sigmas: [0.12, 0.25, 0.5],
    n0: 100,
    n: 1000,
    alpha: 0.001,
    attack: { radii: [0.25, 0.5], steps: 10, eotDraws: 20 },
  });
  assert.deepEqual(certifyOptionsFromFlags({ sigma: '0.25, 0.5', n0: '10', n: '200', alpha: '0.01' }), {
    preset: 'full',
    sigmas: [0.25, 0.5],
    n0: 10,
    n: 200,
    alpha: 0.01,
    attack: { radii: [0.25, 0.5], steps: 100, eotDraws: 20 },
  });
  assert.deepEqual(certifyOptionsFromFlags({ 'attack-radii': '0.1, 0.3', 'attack-steps': '20', 'eot-draws': '5' }).attack, {
    radii: [0.1, 0.3],
    steps: 20,
    eotDraws: 5,
  });
  assert.equal(certifyOptionsFromFlags({ 'no-attack': true }).attack, null);
});

test('certify flags: bad values are usage errors naming the flag and what it expects', () => {
  usage({ sigma: '0' }, /^--sigma 0: expected noise levels σ > 0/);
  usage({ sigma: '0.25,-1' }, /^--sigma 0\.25,-1: expected noise levels σ > 0/);
  usage({ sigma: '0.25,abc' }, /^--sigma .*expected noise levels/);
  usage({ n0: '100', n: '100' }, /^--n0 100 with --n 100: the selection samples n0 must be fewer than the estimation samples n/);
  usage({ n0: '2000', preset: 'fast' }, /^--n0 2000 with --n 1000/);
  usage({ n: '1000.5' }, /^--n 1000\.5: expected a whole number of samples/);
  usage({ n0: 'ten' }, /^--n0 ten: expected a whole number of samples/);
  usage({ alpha: '0' }, /^--alpha 0: expected a failure probability strictly between 0 and 0\.5/);
  usage({ alpha: '0.5' }, /^--alpha 0\.5: expected a failure probability/);
  usage({ alpha: '-0.1' }, /^--alpha -0\.1/);
  usage({ preset: 'quick' }, /^--preset quick: expected full \| fast/);
  usage({ 'attack-radii': '0.25,0' }, /^--attack-radii 0\.25,0: expected L2 radii > 0/);
  usage({ 'attack-steps': '0' }, /^--attack-steps 0: expected a whole number from 1/);
  usage({ 'eot-draws': 'many' }, /^--eot-draws many: expected a whole number/);
  usage({ 'no-attack': true, 'attack-radii': '0.5' } as never, /^--no-attack with --attack-radii/);
});

test('certify on the command line: usage exit code 2; a run prints the table and writes report.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-certify-'));
  try {
    const model = linearTwoClass();
    writeFileSync(join(dir, 'linear.onnx'), model.bytes);
    writeImageFolder(join(dir, 'images'), model, 6);
    const bad = cli(['certify', join(dir, 'linear.onnx'), '--images', join(dir, 'images'), '--alpha', '0.7']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--alpha 0\.7: expected a failure probability/);
    const out = join(dir, 'run');
    const r = cli([
      'certify',
      join(dir, 'linear.onnx'),
      '--images',
      join(dir, 'images'),
      '--sigma',
      '0.25',
      '--n',
      '300',
      '--n0',
      '30',
      '--attack-radii',
      '0.25',
      '--attack-steps',
      '5',
      '--eot-draws',
      '4',
      '--quiet',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /n0 = 30, n = 300, alpha = 0\.001, 6 images/);
    assert.match(r.stdout, /^ {2}0\.25 +\d+\.\d %/m);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(report.command, 'certify');
    assert.equal(report.sections.certification.runs[0].prediction.length, 6);
    // The empirical table: σ, radius, certified and empirical accuracy of the 6 attacked images.
    assert.match(r.stdout, /APGD-CE → APGD-DLR, L2, 5 steps, EOT over 4 Gaussian draws/);
    const row = report.sections.certification.runs[0].empirical.rows[0];
    assert.equal(row.attacked, 6);
    assert.match(
      r.stdout,
      new RegExp(
        `^ {2}0\\.25 +0\\.25 +${(100 * row.certifiedAccuracy).toFixed(1)} % +${(100 * row.empiricalAccuracy).toFixed(1)} % +6 `,
        'm',
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
