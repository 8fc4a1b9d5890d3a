import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { validateConfig } from '../../../src/engine/config/configFile';
import { EngineError } from '../../../src/engine/errors';
import { checkGateMetrics, compare, evaluateGates, parseGate, parseGates, withBaseline } from '../../../src/engine/gates/gates';
import { metricNamesFor, runNames } from '../../../src/engine/gates/metricNames';
import { gateLines, gatesJunit, gatesMarkdown, type CheckOutcome } from '../../../src/engine/gates/summaries';
import { quickCheckSuite } from '../../../src/engine/attacks/quickCheckSuite';
import { standardSuite } from '../../../src/engine/attacks/catalog';
import { quickCheckOptions } from '../../../src/host/settings';

const configError = (pattern: RegExp) => (e: unknown) => e instanceof EngineError && e.code === 'CONFIG_INVALID' && pattern.test(e.message);

test('a gate is an operator and a fraction or a percentage', () => {
  assert.deepEqual(parseGate('clean.top1', '>= 0.90', 'r.json'), { metric: 'clean.top1', operator: '>=', threshold: 0.9, text: '>= 0.90' });
  assert.equal(parseGate('clean.top1', ' >90% ', 'r.json').threshold, 0.9);
  assert.equal(parseGate('clean.top1', '==1', 'r.json').operator, '==');
  assert.equal(parseGate('vs-baseline.attack.pgd.top1', '>= -0.02', 'r.json').threshold, -0.02);
  assert.equal(parseGate('attack.pgd.success', '< .5', 'r.json').operator, '<');
});

test('a malformed comparison says what was expected', () => {
  for (const bad of ['0.9', '=> 0.9', '>= ninety', '>=', '>= 0.9 or so', 12, null]) {
    assert.throws(
      () => parseGate('clean.top1', bad, 'r.json'),
      configError(
        /r\.json: gates\."clean\.top1": .* is not a comparison: expected an operator \(>=, >, <=, <, ==\) and a number, e.g\. ">= 0\.90" or ">= 90%"/,
      ),
      String(bad),
    );
  }
  assert.throws(
    () => parseGate('clean.top1', '>= 90', 'r.json'),
    configError(/must be a fraction in \[0, 1\] \(for a percentage write 0\.9 or 90%\)/),
  );
  assert.throws(() => parseGate('clean.top1', '>= -0.1', 'r.json'), configError(/fraction in \[0, 1\]/));
  assert.throws(() => parseGate('vs-baseline.clean.top1', '>= -120%', 'r.json'), configError(/fraction in \[-1, 1\]$/));
});

test('operators compare as written; == tolerates float rounding', () => {
  assert.equal(compare(0.3, '>=', 0.3), true);
  assert.equal(compare(0.3, '>', 0.3), false);
  assert.equal(compare(0.3, '<=', 0.3), true);
  assert.equal(compare(0.3, '<', 0.3), false);
  assert.equal(compare(0.1 + 0.2, '==', 0.3), true);
  assert.equal(compare(0.31, '==', 0.3), false);
});

test('run names: the catalog name, with the norm (or the place) when a suite runs an attack twice', () => {
  assert.deepEqual(runNames(quickCheckSuite().map((s) => ({ attack: s.name, params: s.params }))), ['fgsm', 'apgd-ce']);
  assert.deepEqual(runNames(standardSuite().map((s) => ({ attack: s.name, params: s.params }))), [
    'fgsm',
    'pgd-linf',
    'pgd-l2',
    'deepfool',
    'cw',
    'simba',
  ]);
  assert.deepEqual(
    runNames([
      { attack: 'pgd', params: { norm: 'linf', steps: 10 } },
      { attack: 'pgd', params: { norm: 'linf', steps: 40 } },
    ]),
    ['pgd-1', 'pgd-2'],
  );
  assert.deepEqual(metricNamesFor([{ attack: 'fgsm', params: {} }]), [
    'clean.top1',
    'clean.top5',
    'attack.fgsm.top1',
    'attack.fgsm.top5',
    'attack.fgsm.success',
  ]);
});

test('the quick check suite is the one the extension runs', () => {
  assert.deepEqual(quickCheckOptions(null).attacks, quickCheckSuite());
});

test('a gate on an unknown metric lists the available names', () => {
  const gates = parseGates({ 'clean.top1': '>= 0.9', 'attack.pdg.top1': '>= 0.3' }, 'r.json');
  assert.throws(
    () => checkGateMetrics(gates, metricNamesFor([{ attack: 'pgd', params: {} }]), 'r.json'),
    configError(
      /gates on unknown metric "attack\.pdg\.top1" \(available: clean\.top1, clean\.top5, attack\.pgd\.top1, attack\.pgd\.top5, attack\.pgd\.success\)/,
    ),
  );
});

test('vs-baseline metrics are current minus baseline; gates pass and fail on them', () => {
  const current = new Map([
    ['clean.top1', 0.9],
    ['attack.pgd.top1', 0.25],
  ]);
  const all = withBaseline(current, new Map([['attack.pgd.top1', 0.3]]));
  assert.ok(Math.abs(all.get('vs-baseline.attack.pgd.top1')! + 0.05) < 1e-12);
  assert.equal(all.has('vs-baseline.clean.top1'), false, 'only metrics both reports have');
  const results = evaluateGates(parseGates({ 'clean.top1': '>= 0.9', 'vs-baseline.attack.pgd.top1': '>= -0.02' }, 'r.json'), all);
  assert.deepEqual(
    results.map((r) => r.passed),
    [true, false],
  );
});

test('robustness.json accepts "gates" as metric → text, and refuses other shapes', () => {
  assert.deepEqual(validateConfig({ gates: { 'clean.top1': '>= 0.9' } }, 'r.json').gates, { 'clean.top1': '>= 0.9' });
  assert.throws(() => validateConfig({ gates: { 'clean.top1': 0.9 } }, 'r.json'), configError(/gates\.clean\.top1: must be string/));
  assert.throws(() => validateConfig({ gates: ['clean.top1'] }, 'r.json'), configError(/gates: must be object/));
});

const outcome: CheckOutcome = {
  model: 'models/a<b>&"c".onnx',
  images: 8,
  baseline: 'base|line.json',
  results: evaluateGates(
    parseGates({ 'clean.top1': '>= 0.5', 'attack.pgd.top1': '>= 90%', 'vs-baseline.attack.pgd.top1': '>= -0.02' }, 'r.json'),
    new Map([
      ['clean.top1', 0.875],
      ['attack.pgd.top1', 0.25],
      ['vs-baseline.attack.pgd.top1', 0.125],
    ]),
  ),
  notes: [],
};

test('the text summary lists each gate: PASS/FAIL, metric, measured value, threshold', () => {
  assert.deepEqual(gateLines(outcome), [
    'PASS  clean.top1                     0.8750  >= 0.5',
    'FAIL  attack.pgd.top1                0.2500  >= 90%',
    'PASS  vs-baseline.attack.pgd.top1   +0.1250  >= -0.02',
    'gates      1 of 3 gates failed',
  ]);
});

test('Markdown: a verdict line and one table row per gate, pipes escaped', () => {
  const md = gatesMarkdown(outcome);
  assert.match(md, /^### Robustness gates: ❌ 1 of 3 gates failed$/m);
  assert.match(md, /baseline `base\\\|line\.json`/);
  assert.match(md, /^\| ❌ FAIL \| `attack\.pgd\.top1` \| 0\.2500 \| `>= 90%` \|$/m);
  assert.equal(md.split('\n').filter((l) => /^\| (✅|❌)/.test(l)).length, 3);
});

test('JUnit XML is well-formed: one testcase per gate, a failure with the measured value and the gate', () => {
  const xml = gatesJunit(outcome, 1.5);
  const doc = new new JSDOM('').window.DOMParser().parseFromString(xml, 'application/xml');
  assert.equal(doc.getElementsByTagName('parsererror').length, 0, xml);
  const suite = doc.getElementsByTagName('testsuite')[0];
  assert.equal(suite.getAttribute('name'), 'robustness-lens check models/a<b>&"c".onnx');
  assert.equal(suite.getAttribute('tests'), '3');
  assert.equal(suite.getAttribute('failures'), '1');
  const cases = [...doc.getElementsByTagName('testcase')];
  assert.deepEqual(
    cases.map((c) => c.getAttribute('name')),
    ['clean.top1 >= 0.5', 'attack.pgd.top1 >= 90%', 'vs-baseline.attack.pgd.top1 >= -0.02'],
  );
  const failures = doc.getElementsByTagName('failure');
  assert.equal(failures.length, 1);
  assert.equal(failures[0].getAttribute('message'), 'attack.pgd.top1 = 0.2500, gate >= 90%');
  assert.equal(failures[0].parentElement?.getAttribute('name'), 'attack.pgd.top1 >= 90%');
});
