/**
 * Per-model configuration and class order through the CLI, on the bundled Fashion-MNIST sample (class-name
 * folders whose alphabetical order is not the logit order): a model's own <stem>.robustness.json wins over
 * the shared robustness.json beside it, and class names in the model's metadata give the right order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeModel, encodeModel } from '../../src/engine/onnx/onnxProto';
import { planCheck } from '../../src/cli/check';
import { REPO_ROOT } from '../helpers/shared';

const SAMPLES = resolve(REPO_ROOT, 'samples');
const sampleConfig = JSON.parse(readFileSync(join(SAMPLES, 'robustness.json'), 'utf8')) as { classNames: string[]; input: object };
const LOGIT_ORDER = sampleConfig.classNames;
const ALPHABETICAL = [...LOGIT_ORDER].sort();

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'rl-per-model-'));
});
after(() => rmSync(root, { recursive: true, force: true }));
/** A fresh folder per test, so one test's configuration files are never found by another. */
const folder = (name: string) => {
  const d = join(root, name);
  mkdirSync(d);
  return d;
};

interface EvalReport {
  config: {
    file: string | null;
    resolved: { classNames: string[] | null };
    classOrder: { source: string; description: string };
    provenance: Record<string, string>;
    notes: string[];
  };
  sections: { clean: { top1Correct: number; evaluated: number } };
}

let reports = 0;
function evalReport(model: string, ...extra: string[]): EvalReport {
  const out = join(root, `report-${++reports}.json`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), 'eval', model, '--limit', '30', '--json', out, '--quiet', ...extra],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(out, 'utf8')) as EvalReport;
}

const images = join(SAMPLES, 'images');

test("a model's own <stem>.robustness.json wins over the shared robustness.json beside it; --config still names one", () => {
  const dir = folder('own');
  const model = join(dir, 'fashion.onnx');
  copyFileSync(join(SAMPLES, 'fashion-resnet.onnx'), model);
  // the shared file, as a first model's setup might have left it: alphabetical order
  writeFileSync(join(dir, 'robustness.json'), JSON.stringify({ images, classNames: ALPHABETICAL, input: sampleConfig.input }));
  const shared = evalReport(model);
  assert.equal(shared.config.file, join(dir, 'robustness.json'));

  writeFileSync(join(dir, 'fashion.robustness.json'), JSON.stringify({ images, classNames: LOGIT_ORDER, input: sampleConfig.input }));
  const own = evalReport(model);
  assert.equal(own.config.file, join(dir, 'fashion.robustness.json'));
  assert.deepEqual(own.config.resolved.classNames, LOGIT_ORDER);
  assert.deepEqual(own.config.classOrder, { source: 'config', description: `"classNames" in ${join(dir, 'fashion.robustness.json')}` });
  // the right order is what makes the sample model accurate: the shared file's order is measurably wrong
  assert.ok(
    own.sections.clean.top1Correct > shared.sections.clean.top1Correct,
    `${own.sections.clean.top1Correct} vs ${shared.sections.clean.top1Correct}`,
  );

  const explicit = evalReport(model, '--config', join(dir, 'robustness.json'));
  assert.equal(explicit.config.file, join(dir, 'robustness.json'));
  assert.equal(explicit.sections.clean.top1Correct, shared.sections.clean.top1Correct);
});

test("without configured class names, the model's metadata names give the logit order; without them, alphabetical and said so", () => {
  const dir = folder('metadata');
  const plain = join(dir, 'plain.onnx');
  copyFileSync(join(SAMPLES, 'fashion-resnet.onnx'), plain);
  const proto = decodeModel(new Uint8Array(readFileSync(plain)), plain);
  proto.metadataProps.push({ key: 'names', value: `{${LOGIT_ORDER.map((n, i) => `${i}: '${n}'`).join(', ')}}` });
  const named = join(dir, 'named.onnx');
  writeFileSync(named, encodeModel(proto));
  const input = sampleConfig.input as { mean: number[]; std: number[] };
  const flags = ['--images', images, '--mean', input.mean.join(','), '--std', input.std.join(',')];

  const fromMeta = evalReport(named, ...flags);
  assert.deepEqual(fromMeta.config.resolved.classNames, LOGIT_ORDER);
  assert.equal(fromMeta.config.provenance.classNames, 'inferred');
  assert.equal(fromMeta.config.classOrder.source, 'model-metadata');
  assert.ok(fromMeta.config.notes.some((n) => n.startsWith(`class order: the model's metadata "names" (10 names`)));
  const configured = evalReport(plain, ...flags, '--class-names', LOGIT_ORDER.join(','));
  assert.equal(fromMeta.sections.clean.top1Correct, configured.sections.clean.top1Correct, 'the same predictions as the configured order');

  const alphabetical = evalReport(plain, ...flags);
  assert.equal(alphabetical.config.resolved.classNames, null);
  assert.equal(alphabetical.config.classOrder.source, 'folders-sorted');
  assert.ok(
    alphabetical.config.notes.includes('class order: folder names in alphabetical order (ImageFolder); not checked against the model'),
  );
  assert.ok(alphabetical.sections.clean.top1Correct < configured.sections.clean.top1Correct);
});

test("check takes its gates from the model's own file first, and says which files it looked for when there is none", () => {
  const dir = folder('check');
  const model = join(dir, 'net.onnx');
  writeFileSync(join(dir, 'robustness.json'), JSON.stringify({ gates: { 'clean.top1': '>= 0.1' } }));
  assert.equal(planCheck({}, model).configFile, join(dir, 'robustness.json'));
  writeFileSync(join(dir, 'net.robustness.json'), JSON.stringify({ gates: { 'clean.top1': '>= 0.8' } }));
  const plan = planCheck({}, model);
  assert.equal(plan.configFile, join(dir, 'net.robustness.json'));
  assert.equal(plan.gates[0].text, '>= 0.8');
  const lonely = join(folder('check-none'), 'solo.onnx');
  assert.throws(
    () => planCheck({}, lonely),
    /check: no solo\.robustness\.json beside .*solo\.onnx and no robustness\.json beside it or above it/,
  );
});
