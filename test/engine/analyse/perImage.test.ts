/**
 * The per-image table (issue #13 item 8): on a small analyse run of the bundled sample, its rows agree with
 * the clean, attacks and defences sections image by image and count by count, its example PNGs are the
 * examples (decoded and compared with the recorded norms), and the cap on saved examples holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { runAnalyseJob, type AnalyseOptions } from '../../../src/engine/jobs/analyseJob';
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import { checkReportInvariants } from '../../../src/engine/report/invariants';
import type { CleanSection, ReportV1 } from '../../../src/engine/report/schema';
import type { DefencesSection, PerImageSection } from '../../../src/engine/report/sections';
import { exampleFile } from '../../../src/protocol/perImageFiles';
import { examplesPerAttack, round4, startPerImageStage } from '../../../src/engine/analyse/stages/perImage';
import type { AnalyseContext } from '../../../src/engine/analyse/context';
import type { SuiteBatch } from '../../../src/engine/jobs/attackSuite';
import { perImageLines } from '../../../src/cli/formatPerImage';

const model = join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx');
const req = {
  modelPath: model,
  overrides: { limit: 12, seed: 3, runtime: { executionProvider: 'cpu' as const, threads: 1, batchSize: 4 } },
};
const opts: AnalyseOptions = {
  preset: 'fast',
  attacks: [
    { name: 'fgsm', params: { eps: 0.05 } },
    { name: 'pgd', params: { norm: 'linf', eps: 0.08, mode: 'minimal-eps', steps: 5, searchSteps: 3 } },
  ],
  K: 5,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: [0.05],
  outDir: null,
  adaptiveImages: 2,
  ofImages: 1,
  analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: false },
};

/** A PNG as planar [0, 1] values of its first channel (the sample is grey). */
function grey(path: string): Float64Array {
  const png = PNG.sync.read(readFileSync(path));
  return Float64Array.from({ length: png.width * png.height }, (_, p) => png.data[4 * p] / 255);
}

test('per-image rows agree with the clean, attacks and defences sections; every broken image has its PNGs', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rl-per-image-'));
  try {
    const r: ReportV1 = await runAnalyseJob(req, { ...opts, outDir: out });
    assert.equal(r.status, 'complete');
    assert.deepEqual(checkReportInvariants(r), []);
    const t = r.sections.perImage as PerImageSection;
    const clean = r.sections.clean as CleanSection;
    const attacks = r.sections.attacks as AttacksSection;
    const defences = r.sections.defences as DefencesSection;
    assert.equal(t.kind, 'per-image');
    const rows = t.images.relPath.length;
    assert.equal(rows, clean.evaluated);
    // Image by image, the clean section's prediction and confidence.
    const byPath = new Map(clean.predictions.map((p) => [p.relPath, p]));
    t.images.relPath.forEach((path, i) => {
      const p = byPath.get(path)!;
      assert.equal(t.images.label[i], p.label, path);
      assert.equal(t.images.prediction[i], p.predicted, path);
      assert.equal(t.images.confidence[i], round4(p.confidence), path);
    });
    assert.deepEqual(
      t.attacks.map((a) => a.attack),
      attacks.runs.map((run) => run.label),
    );
    assert.ok(
      t.attacks.every((a) => a.outcome.includes(2)),
      'each attack broke some image (else the checks below check nothing)',
    );
    t.attacks.forEach((a, k) => {
      const run = attacks.runs[k];
      const broken = a.outcome.flatMap((o, i) => (o === 2 ? [i] : []));
      assert.equal(broken.length, run.numAdversarial, `${a.attack}: broken rows = #Adv`);
      assert.equal(a.outcome.filter((o) => o > 0).length, run.attackedImages, `${a.attack}: attacked rows`);
      // Attacked exactly the images classified correctly (criterion top-1).
      a.outcome.forEach((o, i) => assert.equal(o > 0, t.images.prediction[i] === t.images.label[i], `${a.attack} row ${i}`));
      // The norms are the attacks section's, to 4 significant digits.
      const l2 = broken.map((i) => a.l2[i]!).sort((x, y) => x - y);
      if (l2.length % 2 && run.norms.successful.l2.median !== null)
        assert.equal(l2[l2.length >> 1], round4(run.norms.successful.l2.median));
      assert.equal(
        a.epsilon !== null,
        a.mode === 'minimal-eps' || a.mode === 'minimal-perturbation',
        `${a.attack}: ε column only in the minimal modes`,
      );
      if (a.epsilon) a.epsilon.forEach((e, i) => assert.equal(e !== null, a.outcome[i] === 2, `${a.attack} ε of row ${i}`));
      // 28×28 images are small: every broken image's example is saved, and the files are the example.
      assert.deepEqual(a.saved.images, broken);
      a.saved.images.forEach((i, s) => {
        const files = (['clean', 'adversarial', 'perturbation'] as const).map((f) => join(out, exampleFile(t.examples[f], k, i)));
        for (const f of files) assert.ok(existsSync(f), f);
        const [x, xa, d] = files.map(grey);
        const amp = a.saved.amplification[s];
        let linf = 0;
        for (let p = 0; p < x.length; p++) {
          // δ from the perturbation PNG agrees with adversarial − clean up to the 8-bit steps of the three PNGs
          const fromPng = (d[p] - 0.5) / amp;
          assert.ok(Math.abs(fromPng - (xa[p] - x[p])) <= 1 / 255 + 0.5 / 255 / amp + 1e-9, `${a.attack} row ${i} pixel ${p}`);
          linf = Math.max(linf, Math.abs(fromPng));
        }
        assert.ok(Math.abs(linf - a.linf[i]!) <= 0.5 / 255 / amp + 1e-3 * a.linf[i]!, `${a.attack} row ${i}: L∞ ${linf} vs ${a.linf[i]}`);
      });
    });
    assert.equal(t.examples.perAttack, null);
    assert.match(t.examples.note, /Every successful adversarial example is saved/);
    // Defended verdicts: the defences section's #Adv, rate and defended clean accuracy.
    assert.deepEqual(
      t.defences.map((d) => d.defence),
      defences.results.map((res) => res.defence.kind),
    );
    for (const d of t.defences) {
      const res = defences.results.find((x) => x.defence.kind === d.defence)!;
      for (const row of res.rows) {
        const v = d.adversarial.find((x) => x.attack === row.attack.label)!.verdict;
        assert.equal(v.filter((x) => x >= 0).length, row.numAdversarial);
        if (row.defenceRate !== null) assert.equal(v.filter((x) => x === 1).length / row.numAdversarial, row.defenceRate);
        assert.equal(d.clean.filter((x) => x === 1).length / rows, row.defended.clean.top1);
        // an image has a verdict on an example exactly when the attack broke it
        const a = t.attacks.find((x) => x.attack === row.attack.label)!;
        v.forEach((x, i) => assert.equal(x >= 0, a.outcome[i] === 2));
      }
    }
    // The invariant catches a table that disagrees with the attacks section.
    const first = t.attacks[0].outcome.indexOf(2);
    if (first >= 0) {
      const tampered = structuredClone(r);
      (tampered.sections.perImage as PerImageSection).attacks[0].outcome[first] = 1;
      (tampered.sections.perImage as PerImageSection).attacks[0].saved = { images: [], amplification: [] };
      assert.ok(
        checkReportInvariants(tampered).some((m) => m.startsWith(`per-image table, ${t.attacks[0].attack}:`) && m.includes('#Adv')),
        checkReportInvariants(tampered).join('\n'),
      );
    }
    const line = perImageLines(t).join('\n');
    assert.ok(line.includes(`${rows} images × 2 attacks, 2 defences`), line);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('examples per attack: every one for images up to 64×64, else 32, else what the option says', () => {
  assert.equal(examplesPerAttack(undefined, 28, 28), null);
  assert.equal(examplesPerAttack(undefined, 64, 64), null);
  assert.equal(examplesPerAttack(undefined, 224, 224), 32);
  assert.equal(examplesPerAttack(undefined, 65, 64), 32);
  assert.equal(examplesPerAttack(3, 28, 28), 3);
  assert.equal(examplesPerAttack(0, 224, 224), 0);
});

/** A batch of `count` 2×2 grey images, all correct, every one broken by the one attack (δ = +0.1 on pixel 0). */
function fakeBatch(count: number, first: number): SuiteBatch {
  const per = 4;
  const pixels = Float32Array.from({ length: count * per }, (_, j) => 0.25 + 0.01 * ((first * per + j) % 7));
  const adversarial = Float32Array.from(pixels, (v, j) => (j % per === 0 ? v + 0.1 : v));
  const cleanScores = Float32Array.from({ length: count * 2 }, (_, j) => (j % 2 === 0 ? 2 : 0));
  const scores = Float32Array.from({ length: count * 2 }, (_, j) => (j % 2 === 1 ? 2 : 0));
  return {
    samples: Array.from({ length: count }, (_, i) => ({
      relPath: `a/${first + i}.png`,
      label: 0,
      className: 'a',
    })) as SuiteBatch['samples'],
    pixels,
    count,
    labels: new Array<number>(count).fill(0),
    cleanScores,
    classes: 2,
    cleanTop1: new Array<boolean>(count).fill(true),
    cleanTop5: new Array<boolean>(count).fill(true),
    targets: null,
    attacks: [
      {
        attacked: Array.from({ length: count }, (_, i) => i),
        adversarial,
        scores,
        success: new Array<boolean>(count).fill(true),
        l2: new Float64Array(count).fill(0.1),
        linf: new Float64Array(count).fill(0.1),
        epsilon: null,
        queries: new Float64Array(count).fill(1),
      },
    ],
  };
}

function fakeContext(outDir: string, perImageExamples: number | undefined, side: number) {
  const published: Record<string, unknown> = {};
  const ctx = {
    opts: { outDir, perImageExamples },
    C: 1,
    H: side,
    W: side,
    classifier: { outputKind: { kind: 'logits' } },
    plan: { criterion: 'top1' },
    section: (name: string, value: unknown) => (published[name] = value),
  } as unknown as AnalyseContext;
  return { ctx, published };
}

test('the cap on saved examples: the first N broken images of each attack, in row order, and no more files', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rl-per-image-cap-'));
  try {
    const ref = { label: 'FGSM', mode: 'fixed-eps' as const, norm: 'linf' as const, criterion: 'top1' as const, seed: 0 };
    // 2×2 images but a cap of 3 asked for: the option wins over the small-image default.
    const { ctx, published } = fakeContext(out, 3, 2);
    const stage = startPerImageStage(ctx, [ref]);
    await stage.onBatch({ samples: [], pixels: new Float32Array(0), suite: fakeBatch(2, 0) });
    await stage.onBatch({ samples: [], pixels: new Float32Array(0), suite: fakeBatch(2, 2) });
    stage.publish();
    const t = published.perImage as PerImageSection;
    assert.deepEqual(t.images.relPath, ['a/0.png', 'a/1.png', 'a/2.png', 'a/3.png']);
    assert.deepEqual(t.attacks[0].outcome, [2, 2, 2, 2]);
    assert.deepEqual(t.attacks[0].adversarialPrediction, [1, 1, 1, 1]);
    assert.deepEqual(t.attacks[0].saved.images, [0, 1, 2]);
    assert.equal(t.examples.perAttack, 3);
    assert.match(t.examples.note, /The first 3 successful examples of each attack are saved; re-run with --examples N/);
    assert.deepEqual(readdirSync(join(out, 'per-image', 'attack-1')).sort(), [
      '0-adversarial.png',
      '0-perturbation.png',
      '1-adversarial.png',
      '1-perturbation.png',
      '2-adversarial.png',
      '2-perturbation.png',
    ]);
    assert.deepEqual(readdirSync(join(out, 'per-image', 'clean')).sort(), ['0.png', '1.png', '2.png']);
    // δ = 0.1 on one pixel: amplification 0.5/0.1 = 5.
    assert.deepEqual(t.attacks[0].saved.amplification, [5, 5, 5]);
    assert.equal(t.images.confidence[0], round4(Math.exp(2) / (Math.exp(2) + 1)));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('without a run folder no file is written and the note says how to get them; a minimal-perturbation attack’s budget is its norm', async () => {
  const { ctx, published } = fakeContext('', undefined, 2);
  (ctx.opts as { outDir: string | null }).outDir = null;
  const stage = startPerImageStage(ctx, [{ label: 'DeepFool', mode: 'minimal-perturbation', norm: 'l2', criterion: 'top1', seed: 0 }]);
  const batch = fakeBatch(2, 0);
  batch.attacks[0].l2[1] = 0.25;
  batch.attacks[0].success[0] = false;
  await stage.onBatch({ samples: [], pixels: new Float32Array(0), suite: batch });
  stage.publish();
  const t = published.perImage as PerImageSection;
  assert.deepEqual(t.attacks[0].epsilon, [null, 0.25]);
  assert.deepEqual(t.attacks[0].outcome, [1, 2]);
  assert.deepEqual(t.attacks[0].saved.images, []);
  assert.equal(t.attacks[0].norm, 'l2');
  assert.match(t.examples.note, /no output folder \(analyse --out DIR saves them\)/);
});
