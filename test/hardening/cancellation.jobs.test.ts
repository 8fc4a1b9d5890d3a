/**
 * Cancellation at every stage of the engine's jobs, through their AbortSignal, on the bundled sample
 * (fashion-resnet, 100 images). Each cancel lands in the middle of a batch of the stage under test; the job
 * must return within about one batch (timed against a batch of the same run), with a report marked partial
 * that keeps the sections finished before the cancel, no image of a later batch, no orphan process and no
 * temp file.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runEvalJob } from '../../src/engine/jobs/evalJob';
import { runAttackJob, type AttacksSection } from '../../src/engine/jobs/attackJob';
import { runAnalyseJob, type AnalyseOptions } from '../../src/engine/jobs/analyseJob';
import { runExplainJob } from '../../src/engine/jobs/explainJob';
import type { AttackSpec } from '../../src/engine/attacks/registry';
import type { DefencesSection, OccludedFrequencySection } from '../../src/engine/report/sections';
import type { JobRequest } from '../../src/engine/jobs/prepare';
import { REPO_ROOT } from '../helpers/shared';
import { cancelMidBatch, type CancelProbe } from './helpers-g/cancelProbe';
import { assertReadablePartial } from './helpers-g/partialReport';
import { descendantsOf, tempFilesUnder } from './helpers-g/processes';

const MODEL = join(REPO_ROOT, 'samples', 'fashion-resnet.onnx');
const req = (limit: number, batchSize: number, threads = 2): JobRequest => ({
  modelPath: MODEL,
  overrides: { limit, runtime: { executionProvider: 'cpu', threads, batchSize } },
});
/** "Within one batch": the rest of the interrupted batch plus building the report, with room for a busy CI machine. */
const BATCHES_ALLOWED = 3;
// Every cancel is timed with at least three batches of its stage still to come, so a timer delayed by a busy
// machine still lands before the job would have finished on its own.

function assertStoppedWithinABatch(probe: CancelProbe): void {
  assert.ok(Number.isFinite(probe.abortedAt), 'the abort happened before the job finished');
  const latency = probe.latencyMs();
  // Closing a job (sessions, report) is a fixed cost that a stage of very short batches cannot hide; the
  // first batch, which also opened them, sets the floor. The image counts checked by each test are exact.
  const unit = Math.max(probe.batchMs, probe.firstBatchMs);
  assert.ok(
    latency <= BATCHES_ALLOWED * unit,
    `stopped ${latency.toFixed(0)} ms after the cancel; the slowest batch took ${probe.batchMs.toFixed(0)} ms, start-up and the first ${probe.firstBatchMs.toFixed(0)} ms`,
  );
  latencies.push(
    `${stageUnderTest}: ${latency.toFixed(0)} ms after the cancel (slowest batch ${probe.batchMs.toFixed(0)} ms${probe.midBatch ? '' : '; cancelled at a batch boundary'})`,
  );
}

const latencies: string[] = [];
let stageUnderTest = '';
const out = mkdtempSync(join(tmpdir(), 'rl-cancel-jobs-'));
/** The test runner's own helpers (tsx's esbuild service) were there before any job ran. */
const childrenBefore = descendantsOf(process.pid);

after(() => {
  assert.deepEqual(descendantsOf(process.pid), childrenBefore, 'no process started by a job outlives it');
  assert.deepEqual(tempFilesUnder(out), [], 'no temp file is left behind');
  rmSync(out, { recursive: true, force: true });
  console.log(`cancellation latency per stage:\n  ${latencies.join('\n  ')}`);
});

describe('eval job', () => {
  it('cancelled while loading: returns at once after the model is open, nothing evaluated', async () => {
    stageUnderTest = 'eval, loading';
    const reference = performance.now();
    let firstProgress = NaN;
    await runEvalJob(req(10, 10), {
      onProgress: () => {
        firstProgress ||= performance.now() - reference;
      },
    });
    const controller = new AbortController();
    const t0 = performance.now();
    const job = runEvalJob(req(100, 10), { signal: controller.signal });
    controller.abort();
    const report = await job;
    const ms = performance.now() - t0;
    assert.equal(report.sections.clean?.evaluated, 0);
    assertReadablePartial(report, ['clean', 'sanity']);
    // Loading is not batched: a cancel during it waits for the model to open, never longer than loading plus a batch.
    assert.ok(
      ms <= BATCHES_ALLOWED * firstProgress,
      `returned ${ms.toFixed(0)} ms after the start; loading and a first batch take ${firstProgress.toFixed(0)} ms`,
    );
    latencies.push(`${stageUnderTest}: ${ms.toFixed(0)} ms after the cancel (loading + first batch ${firstProgress.toFixed(0)} ms)`);
  });

  it('cancelled during the clean evaluation: the batch in flight is finished, no further one is started', async () => {
    stageUnderTest = 'eval, clean evaluation';
    const probe = cancelMidBatch({ stage: 'clean evaluation', after: 3 });
    const report = await runEvalJob(req(100, 20), probe.hooks);
    assertStoppedWithinABatch(probe);
    const evaluated = report.sections.clean!.evaluated;
    assert.ok(
      evaluated >= probe.doneAtAbort && evaluated <= probe.doneAtAbort + 20,
      `evaluated ${evaluated}, ${probe.doneAtAbort} done at the cancel`,
    );
    assert.equal(report.sections.clean!.predictions.length, evaluated);
    assertReadablePartial(report, ['clean', 'sanity']);
  });
});

describe('attack job: a cancel inside each attack drops the interrupted batch', () => {
  // Batch sizes give batches of roughly 100–300 ms each.
  const attacks: [string, AttackSpec, number][] = [
    ['FGSM', { name: 'fgsm', params: {} }, 24],
    ['PGD-10 L∞', { name: 'pgd', params: {} }, 4],
    ['PGD L∞ minimal ε', { name: 'pgd', params: { mode: 'minimal-eps', steps: 10, searchSteps: 6 } }, 4],
    ['DeepFool', { name: 'deepfool', params: {} }, 4],
    ['C&W L2', { name: 'cw', params: { steps: 50, searchSteps: 2 } }, 4],
    ['SimBA-DCT', { name: 'simba', params: { basis: 'dct' } }, 4],
  ];
  for (const [label, spec, batch] of attacks) {
    it(label, async () => {
      stageUnderTest = `attack, ${label}`;
      const dir = join(out, `attack-${spec.name}-${(spec.params.mode as string | undefined) ?? ''}`);
      const probe = cancelMidBatch({ stage: 'attacking', after: 3 });
      const report = await runAttackJob(
        req(10 * batch, batch),
        { attacks: [spec], criterion: 'top1', target: null, gradient: 'analytic', gallery: 2, outDir: dir },
        probe.hooks,
      );
      assertStoppedWithinABatch(probe);
      const run = (report.sections.attacks as AttacksSection).runs[0];
      // The batch the cancel interrupted counts only if its attack had already finished.
      assert.ok(
        run.evaluated === probe.doneAtAbort || run.evaluated === probe.doneAtAbort + batch,
        `evaluated ${run.evaluated}, ${probe.doneAtAbort} done at the cancel`,
      );
      // Minimal-ε and minimal-perturbation attacks also give their derived robust-accuracy curve.
      const minimal = spec.params.mode === 'minimal-eps' || spec.name === 'deepfool' || spec.name === 'cw';
      assertReadablePartial(report, ['attacks', 'sanity', 'flags', ...(minimal ? ['robustnessCurves'] : [])]);
      for (const item of run.gallery)
        assert.ok(readdirSync(join(dir, 'gallery', 'attack-1')).includes(item.files.adversarial.split('/').pop()!));
    });
  }
});

describe('analyse job', () => {
  const base: AnalyseOptions = {
    preset: 'fast',
    attacks: [{ name: 'fgsm', params: { eps: 0.05 } }],
    K: 5,
    radius: 2,
    directions: 'random',
    cutoff: 8,
    epsilons: [0.05],
    outDir: null,
    defences: ['low-pass'],
    analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: false },
    adaptiveImages: 4,
    ofImages: 0,
  };
  const pass1 = 'attacks, defences and frequency analyses';

  it('cancelled during the clean evaluation: only the clean section, nothing computed on an incomplete sample', async () => {
    stageUnderTest = 'analyse, clean evaluation';
    const probe = cancelMidBatch({ stage: 'clean evaluation', after: 3 });
    const report = await runAnalyseJob(req(100, 20), base, probe.hooks);
    assertStoppedWithinABatch(probe);
    assertReadablePartial(report, ['plan', 'clean', 'sanity']);
  });

  it('cancelled inside the attacks of pass 1: the interrupted batch is dropped, the defences of the finished batches kept', async () => {
    stageUnderTest = 'analyse, attacks (PGD, DeepFool)';
    const probe = cancelMidBatch({ stage: pass1, after: 3, into: 0.3 });
    const report = await runAnalyseJob(
      req(40, 4),
      {
        ...base,
        attacks: [
          { name: 'pgd', params: { eps: 0.05 } },
          { name: 'deepfool', params: {} },
        ],
      },
      probe.hooks,
    );
    assertStoppedWithinABatch(probe);
    assertReadablePartial(report, ['plan', 'clean', 'sanity', 'attacks', 'defences', 'perImage', 'flags', 'robustnessCurves']);
    const runs = (report.sections.attacks as AttacksSection).runs;
    assert.deepEqual(
      runs.map((r) => r.evaluated),
      [runs[0].evaluated, runs[0].evaluated],
      'both attacks count the same images',
    );
    assert.ok(runs[0].evaluated <= probe.doneAtAbort + 4);
    const lowPass = (report.sections.defences as DefencesSection).results[0];
    assert.ok(
      lowPass.rows.every((r) => r.adaptive === null),
      'no adaptive numbers: pass 2 did not run',
    );
  });

  it('cancelled inside the defences and their sweeps (post-averaging radius × K, low-pass cutoffs)', async () => {
    stageUnderTest = 'analyse, defences and sweeps';
    const probe = cancelMidBatch({ stage: pass1, after: 3 });
    const report = await runAnalyseJob(
      req(40, 4),
      {
        ...base,
        radius: null,
        cutoff: null,
        defences: ['post-averaging', 'low-pass'],
        analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: true },
      },
      probe.hooks,
    );
    assertStoppedWithinABatch(probe);
    assertReadablePartial(report, ['plan', 'clean', 'sanity', 'attacks', 'defences', 'perImage', 'sweeps', 'flags']);
    assert.ok(report.timings.defences > report.timings.attacks, 'the defences dominate each batch, so the cancel fell among them');
  });

  it('cancelled inside Occluded Frequency, RCT and spectra', async () => {
    stageUnderTest = 'analyse, Occluded Frequency / RCT / spectra';
    const probe = cancelMidBatch({ stage: pass1, after: 3 });
    // one thread: with two, the attack's time would include opening its two gradient workers (once per run)
    const report = await runAnalyseJob(
      req(40, 8, 1),
      { ...base, defences: [], ofImages: 40, analyses: { occludedFrequency: true, rct: true, spectra: true, sweeps: false } },
      probe.hooks,
    );
    assertStoppedWithinABatch(probe);
    assertReadablePartial(report, [
      'plan',
      'clean',
      'sanity',
      'attacks',
      'occludedFrequency',
      'rct',
      'spectra',
      'perImage',
      'defences',
      'flags',
    ]);
    assert.ok(report.timings.frequency > report.timings.attacks, 'Occluded Frequency dominates each batch, so the cancel fell inside it');
    assert.ok((report.sections.occludedFrequency as OccludedFrequencySection).models[0].images.length <= probe.doneAtAbort + 8);
  });

  it('cancelled inside pass 2 (adaptive attacks, ε sweep): stops within a batch and keeps every pass-1 section', async () => {
    stageUnderTest = 'analyse, adaptive pass';
    const probe = cancelMidBatch({ stage: 'adaptive attacks', after: 3 });
    const report = await runAnalyseJob(
      req(24, 4),
      {
        ...base,
        defences: ['post-averaging', 'low-pass'],
        K: 2,
        adaptiveImages: 20,
        analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: true },
      },
      probe.hooks,
    );
    assertStoppedWithinABatch(probe);
    // Pass 1's sections: the per-image table at its end and again with the chosen defences' verdicts, then the
    // defences' own sweeps (the ε sweep is pass 2's).
    // The attacks' figures so far after each of pass 1's 6 batches (the last with the pass's end).
    const attacks = Array<string>(6).fill('attacks');
    assert.deepEqual(probe.sectionsBeforeAbort, ['plan', 'clean', 'sanity', ...attacks, 'perImage', 'defences', 'perImage', 'sweeps']);
    assertReadablePartial(report, ['plan', 'clean', 'sanity', 'attacks', 'defences', 'perImage', 'sweeps', 'flags']);
    const defences = report.sections.defences as DefencesSection;
    assert.deepEqual(
      defences.results.map((r) => r.defence.kind),
      ['post-averaging', 'low-pass'],
    );
    assert.ok(defences.results.every((r) => r.rows.every((row) => row.adaptive === null)));
    assert.equal((report.sections.attacks as AttacksSection).runs[0].evaluated, 24, 'pass 1 finished every image');
  });
  it('cancelled during the adaptive attack of the last pass-2 batch: partial, and no adaptive row counts the cut-short attack', async () => {
    stageUnderTest = 'analyse, adaptive pass (last batch)';
    const controller = new AbortController();
    const stages: number[] = [];
    // pass 2 in one batch, parts: the attack, the ε-sweep slot, then the defence's adaptive attack. Cancel once
    // the second part is through, so the cancel lands in the adaptive attack with no batch after it to notice.
    const report = await runAnalyseJob(
      req(24, 32),
      { ...base, attacks: [{ name: 'pgd', params: { eps: 0.05, steps: 40 } }], adaptiveImages: 20 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage.startsWith('adaptive') && stages.push(p.done) === 3) controller.abort();
        },
      },
    );
    assert.ok(stages.length >= 3, `pass-2 progress: ${stages.join(', ')}`);
    assert.equal(report.status, 'partial');
    const defences = report.sections.defences as DefencesSection;
    assert.ok(
      defences.results.every((r) => r.rows.every((row) => row.adaptive === null)),
      'no adaptive figure from a cut-short attack',
    );
  });
});

describe('explain job', () => {
  const image = join(REPO_ROOT, 'samples', 'images', 'sneaker', readdirSync(join(REPO_ROOT, 'samples', 'images', 'sneaker'))[0]);

  it('cancelled while loading: a partial report without sections', async () => {
    stageUnderTest = 'explain, loading';
    const controller = new AbortController();
    const job = runExplainJob(
      { modelPath: MODEL },
      { imagePath: image, compareModelPath: null, baseline: 'zero', outDir: null },
      { signal: controller.signal },
    );
    controller.abort();
    assertReadablePartial(await job, []);
  });

  it("cancelled between the two models compared: the first model's Occluded Frequency is kept", async () => {
    stageUnderTest = 'explain, second model';
    // Explaining one image with one model is a single batch: load, open, Occluded Frequency, close.
    const t0 = performance.now();
    await runExplainJob({ modelPath: MODEL }, { imagePath: image, compareModelPath: null, baseline: 'noise', outDir: null });
    const oneModel = performance.now() - t0;
    const controller = new AbortController();
    let abortedAt = NaN;
    const report = await runExplainJob(
      { modelPath: MODEL },
      { imagePath: image, compareModelPath: MODEL, baseline: 'noise', outDir: join(out, 'explain') },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 1) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      },
    );
    const latency = performance.now() - abortedAt;
    assert.ok(
      latency <= BATCHES_ALLOWED * oneModel,
      `stopped ${latency.toFixed(0)} ms after the cancel; explaining with one model takes ${oneModel.toFixed(0)} ms`,
    );
    latencies.push(`${stageUnderTest}: ${latency.toFixed(0)} ms after the cancel (a whole one-model explain ${oneModel.toFixed(0)} ms)`);
    assertReadablePartial(report, ['occludedFrequency']);
    assert.equal((report.sections.occludedFrequency as OccludedFrequencySection).models.length, 1);
  });
});
