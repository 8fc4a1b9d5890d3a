/** The timing probe before an analyse run, on a shared model: real costs, and the work of each choice from the run's own plan. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseWork } from '../../../src/engine/analyse/passCounts';
import { EXTRA_STAGES } from '../../../src/engine/analyse/extras';
import { planAnalyse } from '../../../src/engine/analyse/plan';
import type { AnalyseOptions } from '../../../src/engine/analyse/options';
import { DEFAULT_K } from '../../../src/engine/defences/postAveraging';
import { runEstimateJob, TIMING_PROBE_SECTION, type TimingProbeSection } from '../../../src/engine/jobs/estimateJob';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { checkReportEnvelope } from '../../../src/engine/report/schema';
import { SKIP_NO_SHARED, sharedPath } from '../../helpers/shared';

const analyse: AnalyseOptions = {
  preset: 'full',
  attacks: null,
  K: DEFAULT_K,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: null,
  outDir: null,
};

test(
  'estimate: per-image forward and gradient costs, and every preset × count priced from the plan',
  { skip: SKIP_NO_SHARED },
  async () => {
    const request = {
      modelPath: sharedPath('models', 'mnist-cnn.onnx'),
      overrides: { images: sharedPath('datasets', 'mnist-test'), limit: 150, runtime: { executionProvider: 'cpu' as const } },
    };
    const stages: string[] = [];
    const report = await runEstimateJob(
      request,
      { analyse, presets: ['fast', 'full'], images: [100, 200] },
      {
        onProgress: (p) => stages.push(`${p.stage} ${p.done}/${p.total}`),
      },
    );
    checkReportEnvelope(report);
    assert.equal(report.command, 'estimate');
    assert.deepEqual(stages, ['timing probe 0/3', 'timing probe 1/3', 'timing probe 2/3', 'timing probe 3/3']);
    const s = report.sections[TIMING_PROBE_SECTION] as TimingProbeSection;
    assert.equal(s.kind, 'timing-probe');
    assert.equal(s.available, 150, 'the configured limit is every image a run would take');
    assert.ok(s.probeImages > 0 && s.probeImages <= 64);
    assert.ok(s.probeAccuracy > 0.8, `mnist-cnn is ~99 % accurate; the probe saw ${s.probeAccuracy}`);
    assert.ok(s.forwardSeconds > 0 && Number.isFinite(s.forwardSeconds));
    assert.ok(s.gradientSeconds !== null && s.gradientSeconds > 0, 'the CNN has a gradient');
    assert.equal(s.gradientUnavailable, null);
    assert.ok(s.setupSeconds >= 0);
    // One defended batch of each kind, timed: a post-averaging point and a low-pass row cost at least about a
    // plain forward pass (the JavaScript work comes on top), within the probe's clamp.
    const f = s.defendedFactors;
    assert.ok(f, 'the defended factors are recorded');
    for (const [name, v] of Object.entries(f)) assert.ok(v >= 0.5 && v <= 10, `${name} ${v}`);
    // 200 is above the 150 available: it becomes "all"; 100 stays.
    assert.deepEqual(
      s.choices.map((c) => [c.preset, c.images, c.all]),
      [
        ['fast', 100, false],
        ['fast', 150, true],
        ['full', 100, false],
        ['full', 150, true],
      ],
    );
    // The same work the run's own plan gives, then the extra sections analyse adds when cheap.
    const prepared = await prepareModel(request);
    const p = prepared.config.preprocessing;
    for (const c of s.choices) {
      const base = analyseWork(
        planAnalyse({ ...analyse, preset: c.preset }, p, c.images),
        { height: 28, width: 28, numClasses: 10, batchSize: prepared.config.runtime.batchSize },
        DEFAULT_K,
        s.probeAccuracy,
        f,
      );
      assert.deepEqual(c.work.slice(0, base.length), base);
      const extras: string[] = Object.values(EXTRA_STAGES);
      assert.ok(
        c.work.slice(base.length).every((w) => extras.includes(w.stage)),
        c.work.map((w) => w.stage).join(', '),
      );
    }
  },
);
