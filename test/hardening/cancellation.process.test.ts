/**
 * Cancellation through the engine process (the `cancel` message), for every job kind: the run answers with
 * a partial report that is saved as the run's report.json (no stray temp file, no failure.json), the
 * engine process keeps serving, and once the client is disposed no engine process or child of it is left.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EngineClient } from '../../src/host/engineClient';
import { createRunFolder, listRuns, writeRunReport } from '../../src/host/runsStore';
import type { AttacksSection } from '../../src/engine/jobs/attackJob';
import type { AnalyseOptions } from '../../src/engine/jobs/analyseJob';
import type { ReportV1 } from '../../src/engine/report/schema';
import { REPO_ROOT } from '../helpers/shared';
import { buildEngineProcess, SAMPLE_MODEL } from '../host/helpers/engineBuild';
import { assertReadablePartial } from './helpers-g/partialReport';
import { descendantsOf, groupMembers, tempFilesUnder } from './helpers-g/processes';

const request = (limit: number, batchSize: number) => ({
  modelPath: SAMPLE_MODEL,
  overrides: { limit, runtime: { executionProvider: 'cpu' as const, threads: 2, batchSize } },
});

describe('cancel through the engine process', () => {
  let client: EngineClient;
  let ws: string;
  let childrenBefore: number[];
  const enginePids = new Set<number>();

  before(async () => {
    ws = mkdtempSync(join(tmpdir(), 'rl-cancel-proc-'));
    const enginePath = await buildEngineProcess();
    // After the build: esbuild's own service process is the runner's, not the engine's.
    childrenBefore = descendantsOf(process.pid);
    client = new EngineClient({ enginePath, cwd: ws, idleTimeoutMs: 0 });
  });
  after(async () => {
    await client.dispose();
    for (const pid of enginePids) assert.deepEqual(groupMembers(pid), [], `engine process group ${pid} is empty after dispose`);
    assert.deepEqual(descendantsOf(process.pid), childrenBefore, 'no orphan engine process');
    rmSync(ws, { recursive: true, force: true });
  });

  /** Saves a run's report as the extension does and checks the run folder holds exactly what it should. */
  function saveAndCheck(report: ReportV1, dir: string, images: string[] = []): void {
    writeRunReport(dir, report);
    assert.deepEqual(readdirSync(dir).sort(), ['report.json', ...images].sort());
    assert.deepEqual(tempFilesUnder(ws), []);
    const listed = listRuns(ws).find((r) => r.dir === dir)!;
    assert.ok(listed.readable && listed.status === 'partial');
  }

  it('eval: cancelled after its first batch', async () => {
    const { dir } = createRunFolder(ws, SAMPLE_MODEL);
    const run = client.start('eval', request(100, 10), {}, { onProgress: () => run.cancel() });
    const report = await run.result;
    if (client.pid) enginePids.add(client.pid);
    assert.ok(report.sections.clean!.evaluated < 100);
    assertReadablePartial(report, ['clean', 'sanity']);
    saveAndCheck(report, dir);
  });

  it('attack: cancelled mid-batch, it answers within about a batch and writes no half gallery', async () => {
    const { dir } = createRunFolder(ws, SAMPLE_MODEL);
    const progressAt: number[] = [];
    let lastDone = 0;
    let cancelledAt = NaN;
    const run = client.start(
      'attack',
      request(64, 8),
      {
        attacks: [{ name: 'pgd', params: { steps: 20 } }],
        criterion: 'top1',
        target: null,
        gradient: 'analytic',
        gallery: 2,
        outDir: dir,
      },
      {
        // batch boundaries: the start (0 done) and the within-batch report of the same count do not count
        onProgress: (p) => {
          if (p.done === 0 || p.done === lastDone) return;
          lastDone = p.done;
          progressAt.push(performance.now());
          if (progressAt.length === 2)
            setTimeout(
              () => {
                cancelledAt = performance.now();
                run.cancel();
              },
              (progressAt[1] - progressAt[0]) / 2,
            );
        },
      },
    );
    const report = await run.result;
    const latency = performance.now() - cancelledAt;
    const batch = progressAt[1] - progressAt[0];
    // Loose on purpose (a busy machine stretches single batches); `evaluated` below is the exact check.
    assert.ok(latency <= 10 * batch + 2000, `answered ${latency.toFixed(0)} ms after the cancel; a batch takes ${batch.toFixed(0)} ms`);
    console.log(`engine process, attack PGD-20: answered ${latency.toFixed(0)} ms after the cancel (batch ${batch.toFixed(0)} ms)`);
    const evaluated = (report.sections.attacks as AttacksSection).runs[0].evaluated;
    assert.ok(evaluated >= 16 && evaluated < 64 && evaluated % 8 === 0, `evaluated ${evaluated}`);
    assertReadablePartial(report, ['attacks', 'sanity', 'flags']);
    saveAndCheck(report, dir, readdirSync(dir).includes('gallery') ? ['gallery'] : []);
  });

  it('analyse: cancelled in the adaptive pass, the pass-1 sections arrive and stay in the report', async () => {
    const { dir } = createRunFolder(ws, SAMPLE_MODEL);
    const streamed: string[] = [];
    // What the extension sends: the fast preset with every defence and analysis (the images: at most 16).
    const options: AnalyseOptions = {
      preset: 'fast',
      attacks: [{ name: 'fgsm', params: { eps: 0.05 } }],
      K: 2,
      radius: 2,
      directions: 'random',
      cutoff: 8,
      epsilons: [0.05],
      outDir: dir,
    };
    const run = client.start('analyse', request(16, 4), options, {
      onSection: (name) => streamed.push(name),
      onProgress: (p) => {
        if (p.stage.startsWith('adaptive')) run.cancel();
      },
    });
    const report = await run.result;
    // Each section streams as it is published, at most once a second per name (the engine process's throttle:
    // a held update is sent when its interval ends, or left to the report), so repeats depend on timing; the
    // order in which the sections first arrive does not. The plan comes before any stage; pass 1's attacks
    // after its first batch, then its frequency sections; the masking flags close every run with attacks, a
    // cancelled one too (on what finished). Every one of them stays in the partial report.
    const sections = [
      'plan',
      'clean',
      'sanity',
      'attacks',
      'occludedFrequency',
      'rct',
      'spectra',
      'perImage',
      'defences',
      'sweeps',
      'flags',
    ];
    assert.deepEqual([...new Set(streamed)], sections);
    assert.equal(streamed.at(-1), 'flags', 'the flags come last');
    assertReadablePartial(report, sections);
    const sweeps = (report.sections.sweeps as { sweeps: { id: string }[] }).sweeps.map((s) => s.id);
    assert.ok(!sweeps.includes('defence-rate-vs-epsilon'), 'the ε sweep belongs to the cancelled pass 2');
    saveAndCheck(
      report,
      dir,
      readdirSync(dir).filter((f) => f !== 'report.json'),
    );
  });

  it('explain: cancelled while the model loads, a partial report without sections', async () => {
    const { dir } = createRunFolder(ws, SAMPLE_MODEL);
    const imageDir = join(REPO_ROOT, 'samples', 'images', 'bag');
    const run = client.start(
      'explain',
      { modelPath: SAMPLE_MODEL },
      { imagePath: join(imageDir, readdirSync(imageDir)[0]), compareModelPath: null, baseline: 'zero', outDir: dir },
    );
    run.cancel();
    const report = await run.result;
    assertReadablePartial(report, []);
    saveAndCheck(report, dir);
  });

  it('the same engine process served every cancelled run and still runs a full one', async () => {
    const pid = client.pid!;
    assert.equal((await client.start('eval', request(10, 10), {}).result).status, 'complete');
    assert.equal(client.pid, pid);
    assert.deepEqual([...enginePids], [pid]);
  });
});
