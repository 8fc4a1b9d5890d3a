import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel, type NodeProto } from '../../../src/engine/onnx/onnxProto';
import { MODEL_INFO_SECTION, runInfoJob, type ModelInfoSection } from '../../../src/engine/jobs/infoJob';
import { checkReportEnvelope, type ReportV1 } from '../../../src/engine/report/schema';
import { formatSections } from '../../../src/cli/format';
import { REPO_ROOT } from '../../helpers/shared';

const root = mkdtempSync(join(tmpdir(), 'rl-info-job-'));
after(() => rmSync(root, { recursive: true, force: true }));

const W = makeTensor(
  'w',
  [16, 3],
  Float32Array.from({ length: 48 }, (_, i) => Math.cos(i)),
);

/** x [N,1,4,4] → Flatten → `body`, 3 classes; in its own folder (so robustness.json files do not mix). */
function model(
  name: string,
  body: NodeProto[],
  opts: { height?: number | string; config?: object; metadata?: Record<string, string> } = {},
) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.onnx`);
  const nodes = [makeNode('Flatten', ['x'], ['f'], {}, 'flatten'), ...body];
  writeFileSync(
    file,
    encodeModel(
      makeModel({
        graph: {
          nodes,
          initializers: [W],
          inputs: [makeValueInfo('x', 'float32', ['N', 1, opts.height ?? 4, 4])],
          outputs: [makeValueInfo(nodes[nodes.length - 1].output[0], 'float32', ['N', 3])],
        },
        ...(opts.metadata ? { metadata: opts.metadata } : {}),
      }),
    ),
  );
  if (opts.config) writeFileSync(join(dir, 'robustness.json'), JSON.stringify(opts.config));
  return { dir, file };
}

const section = (r: ReportV1) => r.sections[MODEL_INFO_SECTION] as ModelInfoSection;
const matMul = [makeNode('MatMul', ['f', 'w'], ['logits'], {}, 'fc')];

describe('the info job', () => {
  it('describes the model in one model-info section of a valid report, with no diagnostics for a clean model', async () => {
    const { file } = model('clean', matMul, { metadata: { author: 'me' } });
    const stages: string[] = [];
    const report = await runInfoJob({ modelPath: file }, { onProgress: (p) => stages.push(p.stage) });
    assert.ok(checkReportEnvelope(JSON.parse(JSON.stringify(report))).ok);
    assert.equal(report.command, 'info');
    assert.equal(report.status, 'complete');
    assert.equal(report.tool.onnxruntime, 'not loaded');
    const s = section(report);
    assert.equal(s.kind, 'model-info');
    assert.deepEqual(s.info.inputs, [{ name: 'x', elemType: 'float32', shape: ['N', 1, 4, 4] }]);
    assert.equal(s.info.imageInputs[0].layout, 'NCHW');
    assert.equal(s.info.output.numClasses, 3);
    assert.deepEqual(s.info.metadata, { author: 'me' });
    assert.deepEqual(s.diagnostics, []);
    assert.deepEqual(s.problems, []);
    assert.equal(s.imagesDir, null);
    assert.equal(report.config.resolved.preprocessing.height, 4);
    assert.ok(stages.length > 0);
    // The CLI prints a report with this section as `info` prints the model.
    const text = formatSections(report).join('\n');
    assert.match(text, /inputs\n {2}x {2}float32 \[N, 1, 4, 4\]/);
    assert.match(text, /every op on the path from the image input to the scores has a gradient/);
  });

  it('lists what will not work, with hints: an op without a gradient', async () => {
    const { file } = model('lpnorm', [
      makeNode('LpNormalization', ['f'], ['n'], { axis: 1 }, 'mix'),
      makeNode('MatMul', ['n', 'w'], ['logits'], {}, 'fc'),
    ]);
    const s = section(await runInfoJob({ modelPath: file }));
    assert.deepEqual(
      s.diagnostics.map((d) => d.code),
      ['NO_GRADIENT'],
    );
    assert.equal(s.diagnostics[0].node, 'mix');
    assert.match(s.diagnostics[0].hint, /SimBA|estimated/);
  });

  it("checks the class count against the image folder the model's robustness.json names", async () => {
    const { dir, file } = model('classes', matMul, { config: { images: 'data' } });
    for (const c of ['a', 'b', 'c', 'd']) {
      mkdirSync(join(dir, 'data', c), { recursive: true });
      // Listed, never decoded.
      writeFileSync(join(dir, 'data', c, '0.png'), '');
    }
    const s = section(await runInfoJob({ modelPath: file }));
    assert.equal(s.imagesDir, join(dir, 'data'));
    assert.equal(s.configFile, join(dir, 'robustness.json'));
    assert.deepEqual(s.problems, []);
    assert.deepEqual(
      s.diagnostics.map((d) => d.code),
      ['CLASS_COUNT'],
    );
    assert.match(s.diagnostics[0].message, /4 class folders but the model has 3 outputs/);
  });

  it("checks the folders with the class names a run would use: the model's metadata names cover a subset of folders", async () => {
    const { dir, file } = model('metadata-names', matMul, { metadata: { names: "{0: 'c', 1: 'a', 2: 'b'}" } });
    writeFileSync(join(dir, 'metadata-names.robustness.json'), JSON.stringify({ images: 'data' }));
    for (const c of ['a', 'b']) mkdirSync(join(dir, 'data', c), { recursive: true });
    const report = await runInfoJob({ modelPath: file });
    const s = section(report);
    assert.equal(s.configFile, join(dir, 'metadata-names.robustness.json'), "the model's own file");
    assert.deepEqual(s.diagnostics, [], 'a and b are outputs 1 and 2 by name, not the first two outputs by position');
    assert.deepEqual(report.config.resolved.classNames, ['c', 'a', 'b']);
    assert.equal(report.config.classOrder?.source, 'model-metadata');
  });

  it('still describes the model when its image folder or its configuration cannot be used, and says why', async () => {
    const missing = model('missing-images', matMul, { config: { images: 'nowhere' } });
    const a = section(await runInfoJob({ modelPath: missing.file }));
    assert.equal(a.imagesDir, join(missing.dir, 'nowhere'));
    assert.equal(a.problems.length, 1);
    assert.match(a.problems[0], /the image folder cannot be checked: .*nowhere/);

    // A symbolic height: no run can resolve its size until one is configured; the description stands.
    const symbolic = model('symbolic', matMul, { height: 'H' });
    const report = await runInfoJob({ modelPath: symbolic.file });
    const b = section(report);
    assert.equal(b.info.inputs[0].shape?.[2], 'H');
    assert.match(b.problems.join('\n'), /runs will refuse this model until its configuration is fixed: .*symbolic spatial dimensions/);
    assert.ok(report.warnings.some((w) => w.includes('symbolic')));
  });

  it('fails with the engine message for a file that is not an ONNX model', async () => {
    const file = join(root, 'garbage.onnx');
    writeFileSync(file, 'this is not a protobuf at all, just text pretending to be a model');
    await assert.rejects(runInfoJob({ modelPath: file }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'MODEL_INVALID');
      assert.match(e.message, /garbage\.onnx/);
      return true;
    });
  });

  it('never loads onnxruntime-node (the model view works where the native runtime does not)', () => {
    const { file } = model('no-runtime', matMul);
    const probe = (importPath: string) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `const m = require(${JSON.stringify(importPath)});
           Promise.resolve(m.runInfoJob ? m.runInfoJob({ modelPath: ${JSON.stringify(file)} }) : null).then(() =>
             console.log(Object.keys(require.cache).some((k) => k.includes('onnxruntime-node'))));`,
        ],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      );
    const info = probe(join(REPO_ROOT, 'src/engine/jobs/infoJob.ts'));
    assert.equal(info.status, 0, info.stderr);
    assert.equal(info.stdout.trim(), 'false');
    // The probe sees the runtime where it is loaded (buildReport, used by every other job, loads it).
    const other = probe(join(REPO_ROOT, 'src/engine/report/buildReport.ts'));
    assert.equal(other.stdout.trim(), 'true', other.stderr);
  });
});
