import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportV1 } from '../../src/engine/report/schema';
import type { SanitySection } from '../../src/engine/report/sections';
import { appliedMessage, applyClassOrder, classOrderProposal, mergeClassNames, reportById, rerunFor } from '../../src/host/classOrderFix';
import { handlePanelMessage, type PanelEffects } from '../../src/host/panelMessages';
import { describeRun, writeRunReport } from '../../src/host/runsStore';
import { latestSanityFindings, sanityTooltip } from '../../src/host/sanityStatus';
import { CLASS_NAMES, fixtureReport } from '../webview/fixtures';

const PROPOSAL = { classNames: CLASS_NAMES, accuracy: 0.85, currentAccuracy: 0.338, evaluated: 200 };

function reportWith(dir: string, configFile: string | null, proposal: SanitySection['proposal'] = PROPOSAL): ReportV1 {
  const r = fixtureReport();
  r.model.path = join(dir, 'models', 'fashion.v2.onnx');
  r.config.file = configFile;
  r.sections = {
    ...r.sections,
    sanity: {
      kind: 'sanity',
      findings: [{ check: 'permutation', severity: 'error', message: 'Looks like a labelling mistake' }],
      proposal,
    },
  };
  return r;
}

function withDir(run: (dir: string) => void | Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-classorder-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('applying the proposed class order', () => {
  it(
    "merges classNames into the model's own configuration file, keeping every other field and its order",
    withDir((dir) => {
      mkdirSync(join(dir, 'models'));
      const file = join(dir, 'models', 'fashion.v2.robustness.json');
      const before = {
        images: 'data/fashion',
        classNames: ['x'],
        input: { mean: [0.287], std: [0.3536] },
        seed: 4,
        gates: { 'clean.top1': '>= 0.8' },
      };
      writeFileSync(file, JSON.stringify(before, null, 4));
      const written = applyClassOrder(reportWith(dir, file));
      assert.deepEqual(written, { file, created: false, classNames: CLASS_NAMES, accuracy: 0.85, currentAccuracy: 0.338 });
      const after = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(after, { ...before, classNames: CLASS_NAMES });
      assert.deepEqual(Object.keys(after), Object.keys(before), 'classNames replaced in place');
      assert.deepEqual(readdirSync(join(dir, 'models')), ['fashion.v2.robustness.json'], 'no temp file left behind (atomic write)');
      assert.match(appliedMessage(written), /updated .*fashion\.v2\.robustness\.json .*33\.8 % → 85\.0 %/);
    }),
  );

  it(
    "copies a shared robustness.json into the model's own file (paths rebased) and leaves the shared one to the other models",
    withDir((dir) => {
      mkdirSync(join(dir, 'models'));
      const shared = join(dir, 'robustness.json');
      const text = JSON.stringify({ $schema: 'schemas/robustness.schema.json', images: 'data/fashion', input: { mean: [0.287] }, seed: 4 });
      writeFileSync(shared, text);
      const written = applyClassOrder(reportWith(dir, shared));
      const own = join(dir, 'models', 'fashion.v2.robustness.json');
      assert.equal(written.file, own);
      assert.equal(written.created, true);
      assert.deepEqual(JSON.parse(readFileSync(own, 'utf8')), {
        images: '../data/fashion',
        input: { mean: [0.287] },
        seed: 4,
        classNames: CLASS_NAMES,
      });
      assert.equal(readFileSync(shared, 'utf8'), text, 'the shared file is untouched');
    }),
  );

  it(
    'creates <model stem>.robustness.json beside the model when the run had no configuration file',
    withDir((dir) => {
      mkdirSync(join(dir, 'models'));
      const expected = join(dir, 'models', 'fashion.v2.robustness.json');
      const written = applyClassOrder(reportWith(dir, null));
      assert.equal(written.file, expected);
      assert.equal(written.created, true);
      assert.deepEqual(JSON.parse(readFileSync(expected, 'utf8')), { classNames: CLASS_NAMES });
      assert.match(appliedMessage(written), /^Robustness Lens: created /);
    }),
  );

  it(
    'refuses, with the file and the field, a result that does not match the schema; the file is left as it was',
    withDir((dir) => {
      mkdirSync(join(dir, 'models'));
      const file = join(dir, 'models', 'fashion.v2.robustness.json');
      const text = JSON.stringify({ images: 'x', colour: 'blue' });
      writeFileSync(file, text);
      assert.throws(
        () => applyClassOrder(reportWith(dir, file)),
        (e: Error) => e.message.includes(file) && /unknown field "colour"/.test(e.message),
      );
      assert.equal(readFileSync(file, 'utf8'), text);
      writeFileSync(file, '[1, 2]');
      assert.throws(() => applyClassOrder(reportWith(dir, file)), /expected a JSON object; the class order was not written/);
      writeFileSync(file, '{ "images": ');
      assert.throws(() => applyClassOrder(reportWith(dir, file)), /not valid JSON/);
    }),
  );

  it(
    'refuses when a class-names file named by "labels" decides the order (it would override classNames)',
    withDir((dir) => {
      mkdirSync(join(dir, 'models'));
      const file = join(dir, 'models', 'fashion.v2.robustness.json');
      writeFileSync(file, JSON.stringify({ images: 'x', labels: 'classes.txt' }));
      const r = reportWith(dir, file);
      r.config.provenance = { labels: 'config', classNames: 'config' };
      r.config.resolved.labelsFile = null;
      assert.throws(() => applyClassOrder(r), /"labels" names, which overrides "classNames".*t-shirt, trouser/);
      assert.equal(existsSync(file), true);
    }),
  );

  it(
    'has nothing to apply without a valid proposal',
    withDir((dir) => {
      assert.throws(() => applyClassOrder(reportWith(dir, null, null)), /no proposed class order/);
      const twice = reportWith(dir, null, { ...PROPOSAL, classNames: ['a', 'a'] });
      assert.deepEqual(classOrderProposal(twice), { ok: false, reason: "the run's proposed class order names a class twice" });
      assert.equal(existsSync(join(dir, 'models')), false, 'nothing written');
    }),
  );

  it('mergeClassNames from an empty file or none', () => {
    assert.equal(mergeClassNames(null, ['a', 'b'], '/x.json'), '{\n  "classNames": [\n    "a",\n    "b"\n  ]\n}\n');
    assert.equal(mergeClassNames('  \n', ['a'], '/x.json'), mergeClassNames(null, ['a'], '/x.json'));
  });

  it('finds the report by id and the command that runs it again', () => {
    const a = fixtureReport();
    const b = { ...fixtureReport(), id: 'other', command: 'attack' };
    assert.equal(reportById([a, null, b], 'other'), b);
    assert.equal(reportById([a, null], 'nope'), null);
    assert.deepEqual(rerunFor(a), { command: 'robustnessLens.analyse', label: 'Re-run analysis' });
    assert.deepEqual(rerunFor(b), { command: 'robustnessLens.quickCheck', label: 'Re-run quick check' });
    assert.equal(rerunFor({ ...a, command: 'eval' }), null);
  });

  it('the panel message reaches the effect only when valid', async () => {
    const calls: string[] = [];
    const fx: PanelEffects<string> = {
      replay: () => calls.push('replay'),
      cancel: () => calls.push('cancel'),
      chooseExportTarget: async () => null,
      writeExport: async () => undefined,
      openFile: async () => undefined,
      applyClassOrder: async (id) => {
        calls.push(`apply ${id}`);
      },
      exportReport: async () => undefined,
      copyMarkdown: async () => undefined,
      refused: (reason) => calls.push(`refused: ${reason}`),
    };
    await handlePanelMessage({ type: 'apply-class-order', reportId: 'r1' }, ['/r'], fx);
    await handlePanelMessage({ type: 'apply-class-order', reportId: 'r1', file: '/etc/passwd' }, ['/r'], fx);
    assert.equal(calls[0], 'apply r1');
    assert.match(calls[1], /^refused: message rejected: apply-class-order: /);
    assert.equal(calls.length, 2);
  });
});

describe('sanity in the status bar', () => {
  it(
    'the latest readable run of the model decides; a later clean run clears the warning',
    withDir((dir) => {
      const flagged = reportWith(dir, null);
      flagged.createdAt = '2026-11-22T10:00:00.000Z';
      flagged.model.path = '/w/m.onnx';
      const run1 = join(dir, '20261122-100000-m');
      mkdirSync(run1);
      writeRunReport(run1, flagged);
      const listing1 = describeRun('20261122-100000-m', run1);
      assert.ok(listing1.readable);
      assert.deepEqual(listing1.sanity, ['Looks like a labelling mistake']);
      const s = latestSanityFindings([listing1], '/w/m.onnx')!;
      assert.deepEqual(s, { runId: '20261122-100000-m', command: 'analyse', findings: ['Looks like a labelling mistake'] });
      assert.match(
        sanityTooltip(s),
        /Sanity check of the latest run \(analyse, 20261122-100000-m\) failed:\n• Looks like a labelling mistake/,
      );
      assert.equal(latestSanityFindings([listing1], '/w/other.onnx'), null);

      const fixed = fixtureReport();
      fixed.model.path = '/w/m.onnx';
      fixed.createdAt = '2026-11-22T11:00:00.000Z';
      fixed.sections = { ...fixed.sections, sanity: { kind: 'sanity', findings: [], proposal: null } };
      const run2 = join(dir, '20261122-110000-m');
      mkdirSync(run2);
      writeRunReport(run2, fixed);
      const listing2 = describeRun('20261122-110000-m', run2);
      assert.equal(latestSanityFindings([listing1, listing2], '/w/m.onnx'), null);
      assert.equal(latestSanityFindings([listing2, listing1], '/w/m.onnx'), null, 'by date, not by list order');
    }),
  );
});
