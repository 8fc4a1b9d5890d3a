/**
 * The checkpoints job: training order (number in the name, else modification time), each checkpoint's figures
 * against the eval and attack jobs run separately on it, τ against closed forms on a linear model whose FGM
 * perturbation is known, the cache (a new checkpoint is the only model opened), and bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../../../src/engine/attacks/gallery';
import { listCheckpoints, numberInName, orderCheckpoints, type CheckpointFile } from '../../../src/engine/checkpoints/order';
import { isEngineError } from '../../../src/engine/errors';
import { runAttackJob, type AttacksSection } from '../../../src/engine/jobs/attackJob';
import { checkpointAttacks, runCheckpointsJob, type CheckpointsOptions } from '../../../src/engine/jobs/checkpointsJob';
import { runEvalJob } from '../../../src/engine/jobs/evalJob';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import type { CleanSection } from '../../../src/engine/report/schema';
import type { SanitySection } from '../../../src/engine/report/sections';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { checkpointCounts, type CheckpointsSection } from '../../../src/protocol/checkpoints';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'checkpoints');
const IMAGES = join(FIXTURES, 'images');
const MODELS = ['ckpt-1.onnx', 'ckpt-2.onnx', 'ckpt-4.onnx', 'ckpt-10.onnx'];
const runtime = { executionProvider: 'cpu' as const, threads: 1 };
const request = (folder: string, images = IMAGES) => ({ modelPath: folder, overrides: { images, runtime } });
const options = (cacheDir: string | null, over: Partial<CheckpointsOptions> = {}): CheckpointsOptions => ({
  norm: 'l2',
  epsilon: 0.5,
  pgdSteps: 5,
  pgdAlpha: null,
  cutoff: null,
  cacheDir,
  ...over,
});
const sectionOf = (r: { sections: Record<string, unknown> }) => r.sections.checkpoints as CheckpointsSection;

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rl-checkpoints-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh folder holding the named fixture checkpoints. */
function folderWith(name: string, files: string[], from = join(FIXTURES, 'models')): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) copyFileSync(join(from, f), join(dir, f));
  return dir;
}

/** Counts the models opened for inference (one session per checkpoint computed). */
async function countingOpens<T>(run: () => Promise<T>): Promise<{ value: T; opened: string[] }> {
  const original = Classifier.open.bind(Classifier);
  const opened: string[] = [];
  Classifier.open = async (...args: Parameters<typeof Classifier.open>) => {
    opened.push(args[0].modelPath);
    return original(...args);
  };
  try {
    return { value: await run(), opened };
  } finally {
    Classifier.open = original;
  }
}

describe('checkpoint order', () => {
  const file = (name: string, modifiedMs: number): CheckpointFile => ({ name, path: `/f/${name}`, number: numberInName(name), modifiedMs });

  it('takes the last number of the name, numerically (ckpt-10 after ckpt-2)', () => {
    assert.equal(numberInName('epoch=3-step=1200.onnx'), 1200);
    assert.equal(numberInName('model.onnx'), null);
    const o = orderCheckpoints([file('ckpt-10.onnx', 1), file('ckpt-2.onnx', 3), file('ckpt-1.onnx', 2)]);
    assert.equal(o.order, 'number-in-name');
    assert.deepEqual(
      o.files.map((f) => f.name),
      ['ckpt-1.onnx', 'ckpt-2.onnx', 'ckpt-10.onnx'],
    );
  });

  it('falls back to modification time when a name has no number, or two share one, and says why', () => {
    const a = orderCheckpoints([file('ckpt-2.onnx', 30), file('final.onnx', 20), file('ckpt-1.onnx', 10)]);
    assert.equal(a.order, 'modification-time');
    assert.deepEqual(
      a.files.map((f) => f.name),
      ['ckpt-1.onnx', 'final.onnx', 'ckpt-2.onnx'],
    );
    assert.match(a.note, /final\.onnx has no number in the name/);
    const b = orderCheckpoints([file('run1-epoch2.onnx', 5), file('run2-epoch2.onnx', 4)]);
    assert.equal(b.order, 'modification-time');
    assert.deepEqual(
      b.files.map((f) => f.name),
      ['run2-epoch2.onnx', 'run1-epoch2.onnx'],
    );
    assert.match(b.note, /the number 2 appears in more than one file name/);
  });

  it('lists only the .onnx files directly in the folder, by mtime from the file system', () => {
    const dir = join(scratch, 'listing');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    for (const [name, t] of [
      ['b.onnx', 300],
      ['a.onnx', 200],
      ['c.ONNX', 100],
    ] as const) {
      writeFileSync(join(dir, name), 'x');
      utimesSync(join(dir, name), t, t);
    }
    writeFileSync(join(dir, 'notes.txt'), 'x');
    writeFileSync(join(dir, 'sub', 'd.onnx'), 'x');
    const o = listCheckpoints(dir);
    assert.equal(o.order, 'modification-time');
    assert.deepEqual(
      o.files.map((f) => f.name),
      ['c.ONNX', 'a.onnx', 'b.onnx'],
    );
  });

  it('refuses a folder without .onnx files, and a file', () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'model.pt'), 'x');
    assert.throws(
      () => listCheckpoints(empty),
      (e: unknown) => isEngineError(e) && e.code === 'USAGE' && /holds no \.onnx files/.test(e.message),
    );
    assert.throws(
      () => listCheckpoints(join(empty, 'model.pt')),
      (e: unknown) => isEngineError(e) && e.code === 'USAGE' && /is not a folder/.test(e.message),
    );
  });
});

describe('checkpoints job on the fixture checkpoints', () => {
  it('orders them by number and equals the eval and attack jobs run on each checkpoint separately', async () => {
    const dir = folderWith('independent', MODELS);
    const opts = options(null);
    const report = await runCheckpointsJob(request(dir), opts);
    assert.equal(report.status, 'complete');
    assert.equal(report.command, 'checkpoints');
    const s = sectionOf(report);
    assert.equal(s.order, 'number-in-name');
    assert.deepEqual(
      s.entries.map((e) => e.name),
      ['ckpt-1.onnx', 'ckpt-2.onnx', 'ckpt-4.onnx', 'ckpt-10.onnx'],
    );
    assert.equal(s.params.cacheDir, null);
    assert.equal(s.params.cutoff, 4); // ⌊16/4⌋
    const attacks = checkpointAttacks(s.params);
    for (const e of s.entries) {
      assert.equal(e.status, 'done', `${e.name}: ${e.error}`);
      assert.equal(e.source, 'computed');
      const r = e.result!;
      const req = { modelPath: e.path, overrides: { images: IMAGES, runtime } };
      const clean = (await runEvalJob(req)).sections.clean as CleanSection;
      assert.equal(r.images, clean.evaluated);
      assert.equal(r.cleanTop1, clean.top1Accuracy, `${e.name}: clean accuracy`);
      const attacked = (
        await runAttackJob(req, { attacks, criterion: 'top1', target: null, gradient: 'analytic', gallery: 0, outDir: null })
      ).sections.attacks as AttacksSection;
      attacked.runs.forEach((run, a) => {
        assert.equal(r.attacks[a].label, run.label);
        assert.equal(r.attacks[a].robustTop1, run.attacked.top1Accuracy, `${e.name}: ${run.label}`);
        assert.equal(r.attacks[a].attackedImages, run.attackedImages);
        assert.equal(r.attacks[a].perturbations, run.attackedImages);
        const tau = r.attacks[a].lowFrequencyRatio;
        assert.ok(tau !== null && tau > 0 && tau < 1, `${e.name}: τ(δ) ${tau}`);
      });
      assert.ok(r.imagesLowFrequencyRatio !== null && r.imagesLowFrequencyRatio > 0.5);
    }
    // Training helps: the last checkpoint is right more often than the first (the fixture's accuracies rise).
    assert.ok(s.entries[3].result!.cleanTop1 > s.entries[0].result!.cleanTop1);
    // The same images for every checkpoint: τ(x) does not depend on the model.
    assert.equal(new Set(s.entries.map((e) => e.result!.imagesLowFrequencyRatio)).size, 1);
  });

  it('caches by model: a second run with one new checkpoint opens only that one; a changed ε misses', async () => {
    const dir = folderWith('cached', MODELS.slice(0, 3));
    const cache = join(dir, '.robustness', 'checkpoint-cache');
    const first = await countingOpens(() => runCheckpointsJob(request(dir), options(cache)));
    assert.equal(first.opened.length, 3);
    assert.deepEqual(checkpointCounts(sectionOf(first.value)), { computed: 3, cached: 0, failed: 0 });
    assert.equal(readdirSync(cache).length, 3);

    // A cached value comes back as stored (read, not recomputed): alter one and look for it.
    const [oneFile] = readdirSync(cache).filter((f) => {
      const body = JSON.parse(readFileSync(join(cache, f), 'utf8')) as { fields: { modelSha256: string } };
      return body.fields.modelSha256 === sectionOf(first.value).entries[0].sha256;
    });
    const body = JSON.parse(readFileSync(join(cache, oneFile), 'utf8')) as { result: { cleanTop1: number } };
    body.result.cleanTop1 = 0.123;
    writeFileSync(join(cache, oneFile), JSON.stringify(body));

    copyFileSync(join(FIXTURES, 'models', 'ckpt-10.onnx'), join(dir, 'ckpt-10.onnx'));
    const second = await countingOpens(() => runCheckpointsJob(request(dir), options(cache)));
    assert.deepEqual(second.opened, [join(dir, 'ckpt-10.onnx')]);
    const s = sectionOf(second.value);
    assert.deepEqual(checkpointCounts(s), { computed: 1, cached: 3, failed: 0 });
    assert.deepEqual(
      s.entries.map((e) => e.source),
      ['cache', 'cache', 'cache', 'computed'],
    );
    assert.equal(s.entries[0].result!.cleanTop1, 0.123);
    // Unaltered entries are the first run's figures.
    assert.deepEqual(s.entries[1].result, sectionOf(first.value).entries[1].result);
    assert.equal(readdirSync(cache).length, 4);

    const third = await countingOpens(() => runCheckpointsJob(request(dir), options(cache, { epsilon: 0.25 })));
    assert.equal(third.opened.length, 4, 'another ε is another key');
    const none = await countingOpens(() => runCheckpointsJob(request(dir), options(null)));
    assert.equal(none.opened.length, 4, 'no cache: every checkpoint computed');
  });
});

describe('checkpoints job, τ in closed form', () => {
  // z1 − z0 = d·x + β with d = α + a·cos(2π·2j/16) + b·cos(2π·6i/16): on a 2-class linear model the loss
  // gradient is ±d at every x, so FGM's δ = ±ε·d/‖d‖ (nothing clips: |δ| ≤ 0.13 on images at 0.3 and 0.7).
  // Orthonormal DFT energies: α²N at DC, a²N/2 at ±2 (inside S_l, k_c = 4), b²N/2 at ±6 (outside), so
  // τ(δ) = (α² + a²/2) / (α² + a²/2 + b²/2). The images are constant: all their energy at DC, τ(x) = 1.
  const S = 16,
    N = S * S,
    alpha = 0.02,
    a = 0.05,
    b = 0.1;
  const d = Float32Array.from({ length: N }, (_, p) => {
    const i = Math.floor(p / S),
      j = p % S;
    return alpha + a * Math.cos((2 * Math.PI * 2 * j) / S) + b * Math.cos((2 * Math.PI * 6 * i) / S);
  });
  const norm = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
  const margin = alpha * N * 0.2; // |d·x + β| for constant images at 0.3 / 0.7 with β = −αN/2

  it('τ(δ) of FGM equals the perturbation direction’s ratio; τ(x) = 1; robust accuracy follows ε‖d‖ against the margin', async () => {
    const dir = join(scratch, 'linear');
    mkdirSync(join(dir, 'ckpt'), { recursive: true });
    const weights = new Float32Array(2 * N);
    weights.set(d, N);
    const bytes = encodeModel(
      makeModel({
        opsetImports: [{ domain: '', version: 13 }],
        graph: {
          nodes: [makeNode('Flatten', ['x'], ['f'], { axis: 1 }), makeNode('Gemm', ['f', 'w', 'b'], ['logits'], { transB: 1 })],
          inputs: [makeValueInfo('x', 'float32', ['N', 1, S, S])],
          outputs: [makeValueInfo('logits', 'float32', ['N', 2])],
          initializers: [makeTensor('w', [2, N], weights), makeTensor('b', [2], Float32Array.from([0, -alpha * N * 0.5]))],
        },
      }),
    );
    writeFileSync(join(dir, 'ckpt', 'linear-1.onnx'), bytes);
    for (const [label, level] of [
      [0, 0.3],
      [1, 0.7],
    ] as const) {
      mkdirSync(join(dir, 'images', String(label)), { recursive: true });
      for (let k = 0; k < 3; k++)
        writeFileSync(
          join(dir, 'images', String(label), `${k}.png`),
          encodePng(new Float32Array(N).fill(Math.round(level * 255) / 255), 1, S, S),
        );
    }
    const expected = (alpha ** 2 + a ** 2 / 2) / (alpha ** 2 + a ** 2 / 2 + b ** 2 / 2);
    for (const epsilon of [0.5, 1]) {
      const report = await runCheckpointsJob(request(join(dir, 'ckpt'), join(dir, 'images')), options(null, { epsilon }));
      const r = sectionOf(report).entries[0].result!;
      assert.equal(r.cleanTop1, 1);
      assert.equal(r.imagesLowFrequencyRatio, 1);
      const fgm = r.attacks[0];
      assert.equal(fgm.attack, 'fgm');
      assert.equal(fgm.perturbations, 6);
      assert.ok(Math.abs(fgm.lowFrequencyRatio! - expected) < 1e-5, `τ(δ) ${fgm.lowFrequencyRatio} vs ${expected}`);
      // ε‖d‖ moves the margin by 0.65 (ε = 0.5) or 1.31 (ε = 1) against |margin| = 1.02: robust, then broken.
      assert.equal(fgm.robustTop1, epsilon * norm < margin ? 1 : 0);
      // PGD cannot move the margin further than ε‖d‖ either.
      assert.equal(r.attacks[1].robustTop1, epsilon * norm < margin ? 1 : 0);
    }
  });
});

describe('checkpoints job, sanity', () => {
  it('reports the newest checkpoint’s sanity check: a swapped class order is found, as in every run', async () => {
    const dir = folderWith('sanity', ['ckpt-1.onnx', 'ckpt-10.onnx']);
    const report = await runCheckpointsJob(
      { modelPath: dir, overrides: { images: IMAGES, runtime, classNames: ['1', '0', '2', '3'] } },
      options(null),
    );
    const sanity = report.sections.sanity as SanitySection;
    assert.ok(sanity, 'a sanity section');
    const permutation = sanity.findings.find((f) => f.check === 'permutation');
    assert.ok(permutation, JSON.stringify(sanity.findings));
    assert.ok(report.warnings.includes(permutation.message));
    assert.deepEqual(sectionOf(report).entries[1].result!.sanity, sanity);
  });
});

describe('checkpoints job, cancelled', () => {
  it('keeps (and caches) the checkpoints finished, marks the rest not run, and the report partial', async () => {
    const dir = folderWith('cancel', MODELS);
    const cache = join(dir, 'cache');
    const controller = new AbortController();
    const streamed: number[] = [];
    const report = await runCheckpointsJob(request(dir), options(cache), {
      signal: controller.signal,
      onSection: (_name, section) => {
        streamed.push((section as CheckpointsSection).done);
        if ((section as CheckpointsSection).done === 2) controller.abort();
      },
    });
    assert.equal(report.status, 'partial');
    const s = sectionOf(report);
    assert.deepEqual(
      s.entries.map((e) => [e.status, e.error]),
      [
        ['done', null],
        ['done', null],
        ['failed', 'not run (cancelled)'],
        ['failed', 'not run (cancelled)'],
      ],
    );
    assert.deepEqual(streamed.slice(0, 2), [1, 2]);
    assert.equal(readdirSync(cache).length, 2);
    assert.equal(report.warnings.filter((w) => w.includes('was not analysed')).length, 0, 'a cancel is not a failure');
  });
});

describe('checkpoints job, bad input', () => {
  it('keeps the other checkpoints when one is corrupt or takes another input shape, and says which and why', async () => {
    const dir = folderWith('bad', MODELS.slice(0, 2));
    copyFileSync(join(FIXTURES, 'odd', 'ckpt-5.onnx'), join(dir, 'ckpt-5.onnx'));
    writeFileSync(join(dir, 'ckpt-3.onnx'), 'not a model');
    const report = await runCheckpointsJob(request(dir), options(null));
    const s = sectionOf(report);
    assert.deepEqual(
      s.entries.map((e) => [e.name, e.status]),
      [
        ['ckpt-1.onnx', 'done'],
        ['ckpt-2.onnx', 'done'],
        ['ckpt-3.onnx', 'failed'],
        ['ckpt-5.onnx', 'failed'],
      ],
    );
    assert.match(s.entries[2].error!, /ckpt-3\.onnx: not an ONNX model/);
    assert.match(s.entries[3].error!, /takes 1×20×20 inputs, the first checkpoint \(ckpt-1\.onnx\) 1×16×16/);
    assert.ok(report.warnings.some((w) => w.startsWith('checkpoint ckpt-3.onnx was not analysed')));
    assert.ok(report.warnings.some((w) => w.startsWith('checkpoint ckpt-5.onnx was not analysed')));
    assert.equal(report.model.path, join(dir, 'ckpt-2.onnx'), 'the report names the newest checkpoint analysed');
  });

  it('refuses an empty folder, and fails naming every file when none could be analysed', async () => {
    const empty = join(scratch, 'empty-job');
    mkdirSync(empty, { recursive: true });
    await assert.rejects(runCheckpointsJob(request(empty), options(null)), (e: unknown) => isEngineError(e) && e.code === 'USAGE');
    const broken = join(scratch, 'all-broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'a-1.onnx'), 'x');
    writeFileSync(join(broken, 'a-2.onnx'), 'y');
    await assert.rejects(
      runCheckpointsJob(request(broken), options(null)),
      (e: unknown) => isEngineError(e) && e.code === 'MODEL_INVALID' && /a-1\.onnx: .*; a-2\.onnx: /.test(e.message),
    );
  });
});
