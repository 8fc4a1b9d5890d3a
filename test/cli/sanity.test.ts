import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatAttackReport, formatEvalReport, formatSections } from '../../src/cli/format';
import type { ReportV1 } from '../../src/engine/report/schema';
import type { SanitySection } from '../../src/engine/report/sections';
import { REPO_ROOT } from '../helpers/shared';
import { CLASS_NAMES, fixtureReport } from '../webview/fixtures';

const RULE = '!'.repeat(100);
const PERMUTATION =
  'Looks like a labelling mistake (class order): 6 of the 10 classes present are each mostly predicted as one other, distinct logit.';

function flagged(findings: SanitySection['findings'], proposal: SanitySection['proposal']): ReportV1 {
  const r = fixtureReport();
  r.sections = { ...r.sections, sanity: { kind: 'sanity', findings, proposal } };
  r.warnings = [...findings.map((f) => f.message), 'some other warning'];
  return r;
}

test('the sanity block comes first, loudly, with the proposed mapping; its findings are not repeated as warnings', () => {
  const r = flagged(
    [
      { check: 'permutation', severity: 'error', message: PERMUTATION },
      { check: 'confidence-gap', severity: 'warning', message: 'Looks like a labelling or preprocessing mistake: mean confidence 90.0 %.' },
    ],
    { classNames: CLASS_NAMES, accuracy: 0.85, currentAccuracy: 0.338, evaluated: 200 },
  );
  const block = formatSections(r, ['sanity']);
  assert.deepEqual(block.slice(0, 3), [RULE, '!! SANITY CHECK FAILED: the figures below are probably wrong — 2 findings', RULE]);
  assert.equal(block.at(-1), RULE);
  // the finding, wrapped: its words in order across the block's lines
  assert.ok(block[3].startsWith('ERROR [permutation] Looks like a labelling mistake'));
  assert.ok(block.join(' ').replace(/\s+/g, ' ').includes(`ERROR [permutation] ${PERMUTATION}`));
  assert.ok(block.some((l) => l.startsWith('WARNING [confidence-gap] Looks like')));
  assert.ok(
    block.every((l) => l.length <= 100 || !l.includes(' ', 100)),
    'wrapped at 100 columns',
  );
  assert.ok(block.includes('proposed class order (logit → class), clean accuracy 85.00 % instead of 33.80 % on 200 images:'));
  assert.ok(block.includes('    0 → t-shirt'));
  assert.ok(block.includes('    9 → ankle-boot'));
  assert.ok(block.includes(`    in robustness.json: "classNames": ${JSON.stringify(CLASS_NAMES)}`));

  for (const text of [formatEvalReport(r), formatAttackReport(r)]) {
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(0, block.length), block, 'first thing printed');
    assert.equal(lines.filter((l) => l.includes(PERMUTATION.slice(0, 60))).length, 1, 'the finding is printed once');
    assert.ok(lines.includes('warning: some other warning'));
    assert.ok(!lines.some((l) => l.startsWith('warning: Looks like')), 'findings are not repeated as warnings');
    assert.equal(lines.at(-1), 'warning: the sanity check failed (see the top of this output)');
  }
});

test('nothing is printed when every check passed; a warning-only block says "may be wrong"', () => {
  const clean = flagged([], null);
  assert.deepEqual(formatSections(clean, ['sanity']), []);
  assert.ok(formatEvalReport(clean).startsWith('model '));
  assert.ok(!formatAttackReport(clean).includes('SANITY'));
  const warn = flagged([{ check: 'confidence-gap', severity: 'warning', message: 'Looks like …' }], null);
  assert.equal(formatSections(warn, ['sanity'])[1], '!! SANITY CHECK FAILED: the figures below may be wrong — 1 finding');
});

test('many classes: only the logits whose name changes are listed', () => {
  const names = Array.from({ length: 30 }, (_, i) => `c${i}`);
  const proposed = [...names];
  [proposed[3], proposed[17]] = [proposed[17], proposed[3]];
  const r = flagged([{ check: 'permutation', severity: 'error', message: 'Looks like a labelling mistake' }], {
    classNames: proposed,
    accuracy: 0.9,
    currentAccuracy: 0.85,
    evaluated: 600,
  });
  r.dataset!.classNames = names;
  const mapping = formatSections(r, ['sanity']).filter((l) => /^ +\d+ → /.test(l));
  assert.deepEqual(mapping, ['     3 → c17', '    17 → c3']);
  assert.ok(!formatSections(r, ['sanity']).some((l) => l.includes('"classNames"')));
});

// The bundled sample (10 images per class folder) with a configuration that names no classes, as a stranger would write it.
function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('eval and attack on alphabetical class folders: the terminal opens with the sanity block (stderr with --json -)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-sanity-'));
  try {
    const config = join(dir, 'robustness.json');
    writeFileSync(config, JSON.stringify({ images: resolve(REPO_ROOT, 'samples', 'images'), input: { mean: [0.287], std: [0.3536] } }));
    const model = resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx');
    const ev = cli(['eval', model, '--config', config, '--quiet']);
    assert.equal(ev.code, 0, ev.stderr);
    const lines = ev.stdout.split('\n');
    assert.equal(lines[0], RULE);
    assert.match(lines[1], /^!! SANITY CHECK FAILED/);
    assert.match(ev.stdout, /ERROR \[permutation\] Looks like a labelling mistake/);
    assert.ok(lines.includes('    0 → t-shirt') && lines.includes('    9 → ankle-boot'), ev.stdout);

    const json = cli(['eval', model, '--config', config, '--quiet', '--json', '-']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as ReportV1;
    assert.deepEqual((report.sections.sanity as SanitySection).proposal?.classNames, CLASS_NAMES);
    assert.match(json.stderr, /SANITY CHECK FAILED/);

    const at = cli(['attack', model, '--config', config, '--attack', 'fgsm', '--gallery', '0', '--quiet', '--out', join(dir, 'run')]);
    assert.equal(at.code, 0, at.stderr);
    assert.equal(at.stdout.split('\n')[0], RULE);
    assert.match(at.stdout, /ERROR \[permutation\]/);

    // The certification and the Fourier heat map check their clean predictions the same way.
    for (const args of [
      [
        'certify',
        model,
        '--config',
        config,
        '--preset',
        'fast',
        '--n',
        '200',
        '--sigma',
        '0.25',
        '--no-attack',
        '--quiet',
        '--out',
        join(dir, 'c'),
      ],
      ['fourier-heatmap', model, '--config', config, '--grid', '4', '--quiet', '--out', join(dir, 'f')],
    ]) {
      const r = cli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split('\n')[0], RULE, `${args[0]}: ${r.stdout.slice(0, 300)}`);
      assert.match(r.stdout, /ERROR \[permutation\]/, args[0]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
