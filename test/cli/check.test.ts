import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { CLI, TSX, cli, sampleCopy, setGates } from './checkHelpers';

const PASSING = { 'clean.top1': '>= 0.5', 'attack.apgd-ce.top1': '>= 0.05', 'attack.fgsm.success': '<= 100%' };
const sample = sampleCopy(PASSING);
after(() => rmSync(sample.dir, { recursive: true, force: true }));
const LIMIT = ['--limit', '8', '--quiet'];

function assertCleanError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

test('check exits 0 when every gate passes and 3 when one fails, with Markdown, JUnit, the step summary and the run folder', () => {
  const ok = cli(['check', sample.model, ...LIMIT, '--out', 'run-ok'], sample.dir);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /^PASS {2}clean\.top1 +0\.8750 {2}>= 0\.5$/m);
  assert.match(ok.stdout, /^gates {6}all 3 gates passed$/m);
  const report = JSON.parse(readFileSync(join(sample.dir, 'run-ok', 'report.json'), 'utf8'));
  assert.deepEqual(
    report.sections.attacks.runs.map((r: { label: string }) => r.label),
    ['FGSM ε=8/255 (0.0314)', 'APGD-CE-10 L∞ ε=8/255 (0.0314)'],
    "the quick check's suite: no PGD row when no gate names one",
  );
  assert.equal(report.sections.gates.results.length, 3);

  setGates(sample.config, { ...PASSING, 'attack.apgd-ce.top1': '>= 90%' });
  const summary = join(sample.dir, 'step-summary.md');
  writeFileSync(summary, '# earlier step\n');
  const failed = cli(
    ['check', sample.model, ...LIMIT, '--out', 'run-failed', '--markdown', 'gates.md', '--junit', 'junit.xml', '--json', 'r.json'],
    sample.dir,
    { GITHUB_STEP_SUMMARY: summary },
  );
  setGates(sample.config, PASSING);
  assert.equal(failed.code, 3, failed.stderr + failed.stdout);
  assert.match(failed.stdout, /^FAIL {2}attack\.apgd-ce\.top1 +0\.2500 {2}>= 90%$/m);
  assert.match(failed.stdout, /^gates {6}1 of 3 gates failed$/m);
  const markdown = readFileSync(join(sample.dir, 'gates.md'), 'utf8');
  assert.match(markdown, /^### Robustness gates: ❌ 1 of 3 gates failed$/m);
  assert.match(markdown, /^\| ❌ FAIL \| `attack\.apgd-ce\.top1` \| 0\.2500 \| `>= 90%` \|$/m);
  assert.equal(readFileSync(summary, 'utf8'), `# earlier step\n${markdown}\n`, 'appended to $GITHUB_STEP_SUMMARY');
  const doc = new new JSDOM('').window.DOMParser().parseFromString(readFileSync(join(sample.dir, 'junit.xml'), 'utf8'), 'application/xml');
  assert.equal(doc.getElementsByTagName('parsererror').length, 0);
  assert.equal(doc.getElementsByTagName('testcase').length, 3);
  assert.equal(doc.getElementsByTagName('failure')[0].getAttribute('message'), 'attack.apgd-ce.top1 = 0.2500, gate >= 90%');
  assert.equal(JSON.parse(readFileSync(join(sample.dir, 'r.json'), 'utf8')).sections.gates.results[1].passed, false);
});

test('--baseline: vs-baseline gates compare with an earlier report; another model is refused unless --allow-model-change', () => {
  const baselineRun = cli(['check', sample.model, ...LIMIT, '--out', 'run-base'], sample.dir);
  assert.equal(baselineRun.code, 0, baselineRun.stderr);
  const baseline = join(sample.dir, 'run-base', 'report.json');
  setGates(sample.config, { 'vs-baseline.attack.apgd-ce.top1': '>= -0.02', 'vs-baseline.clean.top1': '== 0' });
  try {
    const same = cli(['check', sample.model, ...LIMIT, '--out', 'run-vs', '--baseline', baseline], sample.dir);
    assert.equal(same.code, 0, same.stderr + same.stdout);
    assert.match(same.stdout, /^PASS {2}vs-baseline\.attack\.apgd-ce\.top1 +\+0\.0000 {2}>= -0\.02$/m);

    setGates(sample.config, { 'vs-baseline.attack.pdg.top1': '>= 0' });
    assertCleanError(
      cli(['check', sample.model, ...LIMIT, '--baseline', baseline], sample.dir),
      1,
      /gates on unknown metric "vs-baseline\.attack\.pdg\.top1" \(available: clean\.top1, .*, attack\.apgd-ce\.success, vs-baseline\.clean\.top1, .*, vs-baseline\.attack\.apgd-ce\.success\)/,
    );
    assertCleanError(
      cli(['check', join(sample.dir, 'missing.onnx'), '--config', sample.config, '--baseline', baseline], sample.dir),
      1,
      /missing\.onnx: cannot read the model/,
    );

    const other = JSON.parse(readFileSync(baseline, 'utf8'));
    other.model.sha256 = 'f'.repeat(64);
    other.model.path = '/elsewhere/old-export.onnx';
    setGates(sample.config, { 'vs-baseline.attack.apgd-ce.top1': '>= -0.02', 'vs-baseline.clean.top1': '== 0' });
    other.sections.attacks.runs[1].attacked.top1Accuracy += 0.5;
    const otherPath = join(sample.dir, 'other-model.json');
    writeFileSync(otherPath, JSON.stringify(other));
    assertCleanError(
      cli(['check', sample.model, ...LIMIT, '--baseline', otherPath], sample.dir),
      2,
      /the baseline .*other-model\.json is of another model \(\/elsewhere\/old-export\.onnx, sha256 ffffffffffff…; this model .* is 117d78b58f6b…\); pass --allow-model-change/,
    );
    const allowed = cli(
      ['check', sample.model, ...LIMIT, '--out', 'run-allowed', '--baseline', otherPath, '--allow-model-change'],
      sample.dir,
    );
    assert.equal(allowed.code, 3, allowed.stderr + allowed.stdout);
    assert.match(allowed.stdout, /^FAIL {2}vs-baseline\.attack\.apgd-ce\.top1 +-0\.5000 {2}>= -0\.02$/m);
    assert.match(allowed.stdout, /^note: the baseline .* is of another model .*compared as allowed by --allow-model-change$/m);
  } finally {
    setGates(sample.config, PASSING);
  }
});

test('a gate on attack.pgd.* (the quick check before APGD-CE) still gates PGD-10: the check runs it too and says the key is deprecated', () => {
  setGates(sample.config, { 'clean.top1': '>= 0.5', 'attack.pgd.top1': '>= 0.05' });
  try {
    const r = cli(['check', sample.model, ...LIMIT, '--out', 'run-legacy', '--markdown', 'legacy.md'], sample.dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const report = JSON.parse(readFileSync(join(sample.dir, 'run-legacy', 'report.json'), 'utf8'));
    const runs = report.sections.attacks.runs as { label: string; attacked: { top1Accuracy: number } }[];
    assert.deepEqual(
      runs.map((x) => x.label),
      ['FGSM ε=8/255 (0.0314)', 'APGD-CE-10 L∞ ε=8/255 (0.0314)', 'PGD-10 L∞ ε=8/255 (0.0314)'],
    );
    // The gate reads the PGD row, not APGD-CE's.
    const pgd = runs[2].attacked.top1Accuracy.toFixed(4);
    assert.match(r.stdout, new RegExp(`^PASS {2}attack\\.pgd\\.top1 +${pgd.replace('.', '\\.')} {2}>= 0\\.05$`, 'm'));
    assert.match(r.stdout, /^note: deprecated: attack\.pgd\.top1 gates PGD-10, .*Rename to attack\.apgd-ce\.\*/m);
    assert.match(readFileSync(join(sample.dir, 'legacy.md'), 'utf8'), /deprecated: attack\.pgd\.top1 gates PGD-10/);

    // A baseline from before the switch (a PGD row) stays comparable on vs-baseline.attack.pgd.*.
    setGates(sample.config, { 'vs-baseline.attack.pgd.top1': '>= -0.02' });
    const vs = cli(['check', sample.model, ...LIMIT, '--baseline', join(sample.dir, 'run-legacy', 'report.json')], sample.dir);
    assert.equal(vs.code, 0, vs.stderr + vs.stdout);
    assert.match(vs.stdout, /^PASS {2}vs-baseline\.attack\.pgd\.top1 +\+0\.0000 {2}>= -0\.02$/m);
    assert.match(vs.stdout, /^note: deprecated: vs-baseline\.attack\.pgd\.top1 gates PGD-10/m);

    // --suite standard names its own PGD runs (pgd-linf, pgd-l2): no legacy row, no note.
    setGates(sample.config, { 'attack.pgd.top1': '>= 0' });
    const standard = cli(['check', sample.model, ...LIMIT, '--suite', 'standard'], sample.dir);
    assert.equal(standard.code, 1, standard.stdout);
    assert.match(standard.stderr, /gates on unknown metric "attack\.pgd\.top1" with --suite standard/);
  } finally {
    setGates(sample.config, PASSING);
  }
});

test('bad gates and flags are refused before the run, with what was expected', () => {
  const refused = (gates: Record<string, unknown>, args: string[], code: number, pattern: RegExp) => {
    setGates(sample.config, gates);
    try {
      assertCleanError(cli(['check', sample.model, ...args], sample.dir), code, pattern);
    } finally {
      setGates(sample.config, PASSING);
    }
  };
  refused(
    { 'attack.pgd-linf.top1': '>= 0.3' },
    [],
    1,
    /gates on unknown metric "attack\.pgd-linf\.top1" with --suite quick \(available: clean\.top1, clean\.top5, attack\.fgsm\.top1, attack\.fgsm\.top5, attack\.fgsm\.success, attack\.apgd-ce\.top1, attack\.apgd-ce\.top5, attack\.apgd-ce\.success\)/,
  );
  refused(PASSING, ['--baseline', 'nowhere.json'], 1, /nowhere\.json/);
  refused({ 'clean.top1': 'at least 0.9' }, [], 1, /gates\."clean\.top1": "at least 0\.9" is not a comparison: expected an operator/);
  refused({ 'clean.top1': 0.9 }, [], 1, /gates\.clean\.top1: must be string/);
  refused(
    { 'vs-baseline.clean.top1': '>= 0' },
    [],
    2,
    /"vs-baseline\.clean\.top1" compare against a baseline: pass --baseline REPORT\.json/,
  );
  refused({}, [], 2, /declares no "gates"/);
  refused(PASSING, ['--suite', 'full'], 2, /--suite full: expected quick or standard/);
  refused(PASSING, ['--attack', 'fgsm'], 2, /Unknown option '--attack'/);
  writeFileSync(join(sample.dir, 'not-a-report.json'), '{"hello": 1}');
  refused(PASSING, ['--baseline', 'not-a-report.json'], 1, /--baseline .*not-a-report\.json: not a Robustness Lens report/);
});

test('--help lists check and its exit codes', () => {
  const r = cli(['--help'], sample.dir);
  assert.match(r.stdout, /robustness-lens check <model\.onnx>/);
  assert.match(r.stdout, /exit codes: 0 every gate passed, 3 a gate failed, 1 error, 2 usage, 130 cancelled/);
});

test('a step summary that cannot be written is a warning: the gates still decide the exit code and the files are written', () => {
  // A folder where the summary file should be: appending fails with EISDIR, as root too.
  const r = cli(['check', sample.model, ...LIMIT, '--markdown', 'gates-eisdir.md', '--junit', 'junit-eisdir.xml'], sample.dir, {
    GITHUB_STEP_SUMMARY: sample.dir,
  });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stderr, /^warning: \$GITHUB_STEP_SUMMARY .*: cannot append the gate summary \(EISDIR\); the gates were evaluated/m);
  assert.match(readFileSync(join(sample.dir, 'gates-eisdir.md'), 'utf8'), /^### Robustness gates: ✅ all 3 gates passed$/m);
  assert.match(readFileSync(join(sample.dir, 'junit-eisdir.xml'), 'utf8'), /<testsuite /);
});

test('Ctrl-C during check: exit 130, the partial report is kept, no gate verdict and no Markdown or JUnit', async () => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      CLI,
      'check',
      sample.model,
      '--limit',
      '60',
      '--batch',
      '2',
      '--out',
      'run-cancelled',
      '--markdown',
      'c.md',
      '--junit',
      'c.xml',
    ],
    { cwd: sample.dir, env: { ...process.env, GITHUB_STEP_SUMMARY: '' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((res, rej) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Without a terminal the progress prints one line as the attack stage starts: the handler is installed.
      if (/^attacking .*: 0\/60/m.test(stderr) && child.signalCode === null && !child.killed) child.kill('SIGINT');
    });
    child.on('error', rej);
    child.on('close', (c) => res(c));
  });
  assert.equal(code, 130, stderr + stdout);
  assert.match(stderr, /cancelling after the current batch/);
  assert.match(stdout, /^gates {6}not evaluated: the run was cancelled/m);
  const report = JSON.parse(readFileSync(join(sample.dir, 'run-cancelled', 'report.json'), 'utf8'));
  assert.equal(report.status, 'partial');
  assert.ok(report.sections.attacks.runs[0].evaluated < 60, `evaluated ${report.sections.attacks.runs[0].evaluated}`);
  assert.equal(report.sections.gates, undefined);
  assert.ok(!existsSync(join(sample.dir, 'c.md')) && !existsSync(join(sample.dir, 'c.xml')));
});
