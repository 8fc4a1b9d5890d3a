import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ATTACK_CATALOG, analysePresetSuite } from '../../src/engine/attacks/catalog';
import type { AttacksSection } from '../../src/engine/jobs/attackJob';
import type { ReportV1 } from '../../src/engine/report/schema';
import {
  attackKey,
  matchSettings,
  preprocessingDifference,
  runDifferences,
  runStaleness,
  suiteName,
  type FileFacts,
  type StalenessProbe,
} from '../../src/host/runMatch';
import { diskStalenessProbe } from '../../src/host/stalenessProbe';
import { ATTACKS, CLASS_NAMES, fixtureReport } from '../webview/fixtures';

type Run = AttacksSection['runs'][number];

/** The attacks section an analyse of `preset` at ε writes (the runs' params as the engine records them). */
function presetAttacks(preset: 'full' | 'fast', eps = 8 / 255): AttacksSection {
  const template = ATTACKS.runs[0];
  const runs: Run[] = analysePresetSuite(preset, eps, 2 * eps).map((spec) => {
    const record = ATTACK_CATALOG[spec.name];
    const mode = (spec.params.mode as Run['mode'] | undefined) ?? record.modes[0];
    return {
      ...template,
      label: `${record.title} ${JSON.stringify(spec.params)}`,
      mode,
      params: { attack: spec.name, ...spec.params, mode },
    };
  });
  return { ...ATTACKS, runs };
}

function analyseReport(preset: 'full' | 'fast', over: (r: ReportV1) => void = () => undefined): ReportV1 {
  const r = fixtureReport();
  r.sections = { attacks: presetAttacks(preset) };
  over(r);
  return r;
}

const kinds = (a: ReportV1, b: ReportV1) => runDifferences(a, b).map((d) => `${d.severity}:${d.kind}`);

describe('runDifferences: what makes a comparison unfair, in words', () => {
  it('identical runs: no difference', () => {
    assert.deepEqual(runDifferences(analyseReport('full'), analyseReport('full')), []);
    assert.deepEqual(runDifferences(fixtureReport(), fixtureReport()), []);
  });

  it('image count and sample seed', () => {
    const a = analyseReport('fast', (r) => {
      r.dataset!.sampledImages = 500;
      r.dataset!.sampling = { limit: 500, seed: 0, stratified: true };
    });
    const b = analyseReport('fast', (r) => {
      r.dataset!.sampledImages = 100;
      r.dataset!.sampling = { limit: 100, seed: 0, stratified: true };
    });
    const d = runDifferences(a, b);
    assert.deepEqual(
      d.map((x) => [x.kind, x.severity, x.text, x.fixableByRerun]),
      [['images', 'hard', 'A used 500 images (seed 0), B 100 (seed 0)', true]],
    );
    b.dataset!.sampledImages = 500;
    b.dataset!.sampling.seed = 7;
    assert.equal(runDifferences(a, b)[0].text, 'A used 500 images (seed 0), B 500 (seed 7)');
  });

  it('dataset fingerprint: other images, or the same folder changed', () => {
    const a = fixtureReport();
    const b = fixtureReport();
    b.dataset!.fingerprint = 'f'.repeat(64);
    assert.deepEqual(kinds(a, b), ['hard:dataset']);
    assert.match(
      runDifferences(a, b)[0].text,
      /^dataset fingerprint differs: different images \(the images in \/work\/main\/samples\/images changed/,
    );
    b.dataset!.root = '/data/other';
    assert.match(runDifferences(a, b)[0].text, /A \/work\/main\/samples\/images \(100 images\), B \/data\/other \(100 images\)/);
    assert.equal(runDifferences(a, b)[0].fixableByRerun, false);
  });

  it('class order, with where each came from', () => {
    const a = fixtureReport();
    a.config.resolved.classNames = null;
    a.dataset!.classNames = [...CLASS_NAMES].sort();
    const b = fixtureReport();
    b.config.provenance.classNames = 'config';
    const d = runDifferences(a, b);
    assert.deepEqual(
      d.map((x) => [x.kind, x.severity]),
      [['class-order', 'hard']],
    );
    assert.equal(
      d[0].text,
      'class order: A alphabetical folders, B configured names (same names, different order; logit 0 is "ankle-boot" in A, "t-shirt" in B)',
    );
  });

  it('preprocessing: hard for one model fed two ways, soft for two models', () => {
    const a = fixtureReport();
    const b = fixtureReport();
    b.config.resolved.preprocessing = { ...b.config.resolved.preprocessing, mean: null, std: null };
    const same = runDifferences(a, b);
    assert.deepEqual(
      same.map((x) => [x.kind, x.severity]),
      [['preprocessing', 'hard']],
    );
    assert.match(same[0].text, /^preprocessing: A mean 0\.287\/std 0\.354, B none \(the same model file/);
    b.model = { ...b.model, sha256: '0'.repeat(64), path: '/w/other.onnx' };
    assert.equal(runDifferences(a, b)[0].severity, 'soft');
    assert.equal(
      preprocessingDifference(a.config.resolved.preprocessing, {
        ...a.config.resolved.preprocessing,
        height: 32,
        width: 32,
        pixelScale: 255,
      }),
      'size 28×28 vs 32×32; pixel scale [0, 1] vs [0, 255]',
    );
    assert.equal(preprocessingDifference(a.config.resolved.preprocessing, a.config.resolved.preprocessing), null);
  });

  it('preset and attack suite: soft, naming each preset and the shared attacks', () => {
    const full = analyseReport('full');
    const fast = analyseReport('fast');
    assert.equal(suiteName(full), 'full');
    assert.equal(suiteName(fast), 'fast');
    const nFull = presetAttacks('full').runs.length;
    const nFast = presetAttacks('fast').runs.length;
    assert.ok(nFull > nFast);
    const d = runDifferences(full, fast);
    assert.deepEqual(
      d.map((x) => [x.kind, x.severity, x.text]),
      [
        [
          'suite',
          'soft',
          `attacks: A full preset (${nFull} attacks), B fast preset (${nFast} attacks): only the ${nFast} shared attacks are compared`,
        ],
      ],
    );
    const custom = analyseReport('fast', (r) => {
      (r.sections.attacks as AttacksSection).runs.pop();
    });
    assert.equal(suiteName(custom), null);
    const older = analyseReport('fast', (r) => {
      for (const run of (r.sections.attacks as AttacksSection).runs) {
        if (run.params.attack === 'deepfool') {
          delete run.params.attack;
          run.label = 'DeepFool-50 L2 overshoot=0.02';
        }
      }
    });
    assert.equal(suiteName(older), 'fast', 'a report without params.attack: the label names the attack');
    assert.deepEqual(runDifferences(fast, older), []);
    assert.match(runDifferences(fast, custom)[0].text, /B a suite of its own \(\d attacks\)/);
  });

  it('ε of a shared attack: hard, in k/255', () => {
    const a = analyseReport('fast');
    const b = analyseReport('fast', (r) => {
      r.sections.attacks = presetAttacks('fast', 4 / 255);
    });
    assert.equal(suiteName(b), 'fast', 'the suite at another ε is still the preset');
    const eps = runDifferences(a, b).filter((d) => d.kind === 'epsilon');
    assert.ok(eps.length >= 2);
    assert.ok(eps.every((d) => d.severity === 'hard' && d.fixableByRerun));
    assert.ok(
      eps.some((d) => d.text === 'ε differs for PGD L∞ (fixed ε): 8/255 vs 4/255'),
      eps.map((d) => d.text).join('\n'),
    );
    assert.ok(eps.some((d) => d.text === 'the ε search bound differs for PGD L∞ (minimal ε): 16/255 vs 8/255'));
  });

  it('criterion, command and a partial run; hard differences listed first', () => {
    const a = analyseReport('fast');
    const b = analyseReport('fast', (r) => {
      r.status = 'partial';
      (r.sections.attacks as AttacksSection).criterion = 'top5';
    });
    assert.deepEqual(kinds(a, b), ['hard:criterion', 'soft:status']);
    assert.match(runDifferences(a, b)[1].text, /^B is partial \(cancelled before the end\)/);
    (b.sections.attacks as AttacksSection).runs.pop();
    assert.deepEqual(
      kinds(a, b),
      ['hard:criterion', 'soft:status'],
      'a cancelled run lacks attacks because it stopped, not as a suite of its own',
    );
    b.status = 'complete';
    assert.deepEqual(kinds(a, b), ['hard:criterion', 'soft:suite']);
    const quick = fixtureReport();
    quick.command = 'attack';
    quick.sections = { attacks: { ...ATTACKS, runs: ATTACKS.runs.slice(0, 1) } };
    assert.equal(suiteName(quick), 'quick check');
    const mixed = runDifferences(a, quick);
    const texts = mixed.map((d) => d.text);
    assert.ok(texts.includes('A is an analyse run, B an attack run (quick check)'));
    assert.deepEqual(
      mixed.filter((d) => d.kind === 'command' || d.kind === 'suite').map((d) => d.fixableByRerun),
      [false, false],
      'no re-run makes an analysis and a quick check run the same suite',
    );
    assert.ok(texts.some((t) => t.includes('B the quick check (1 attack)')));
  });

  it('attack identity ignores ε but not the norm or mode', () => {
    const [fgsm, pgdMin] = ATTACKS.runs;
    assert.equal(attackKey({ ...fgsm, params: { ...fgsm.params, eps: 0.1 } }), attackKey(fgsm));
    assert.notEqual(attackKey(pgdMin), attackKey({ ...pgdMin, mode: 'fixed-eps' }));
    assert.notEqual(attackKey(pgdMin), attackKey({ ...pgdMin, params: { ...pgdMin.params, norm: 'l2' } }));
  });

  it('matchSettings: what a re-run copies (preset from the suite, images, seed, fixed ε)', () => {
    const r = analyseReport('fast', (x) => {
      x.dataset!.sampling = { limit: 100, seed: 3, stratified: true };
      x.sections.attacks = presetAttacks('fast', 4 / 255);
    });
    assert.deepEqual(matchSettings(r), { preset: 'fast', limit: 100, seed: 3, epsilon: 4 / 255 });
    r.dataset!.sampling.limit = null;
    r.dataset!.sampledImages = 500;
    assert.equal(matchSettings(r).limit, 500, 'a run on every image: the limit is its image count');
  });
});

describe('runStaleness: a run older than its model file or configuration', () => {
  const report = fixtureReport();
  const created = Date.parse(report.createdAt);
  function probe(
    files: Record<string, FileFacts & { sha?: string }>,
    config: string | null = report.config.file,
  ): StalenessProbe & { hashed: string[] } {
    const hashed: string[] = [];
    return {
      hashed,
      stat: (p) => files[p] ?? null,
      sha256: async (p) => {
        hashed.push(p);
        return files[p].sha ?? '';
      },
      configFileFor: () => config,
    };
  }
  const model = report.model.path;
  const cfg = report.config.file!;
  const old = { mtimeMs: created - 60_000, size: report.model.sizeBytes, sha: report.model.sha256 };

  it('unchanged model and configuration: fresh, and the model is not even hashed', async () => {
    const p = probe({ [model]: old, [cfg]: { mtimeMs: created - 1, size: 10 } });
    assert.deepEqual(await runStaleness(report, p), { reasons: [], modelMissing: false });
    assert.deepEqual(p.hashed, []);
  });

  it('model content changed (sha256): stale; touched with the same content: fresh', async () => {
    const changed = probe({
      [model]: { mtimeMs: created + 1000, size: report.model.sizeBytes, sha: 'ab'.repeat(32) },
      [cfg]: { mtimeMs: 0, size: 1 },
    });
    const s = await runStaleness(report, changed);
    assert.equal(s.reasons.length, 1);
    assert.match(s.reasons[0], /^fashion-resnet\.onnx changed after this run \(sha256 117d78b5… then, abababab… now/);
    const touched = probe({ [model]: { ...old, mtimeMs: created + 1000 }, [cfg]: { mtimeMs: 0, size: 1 } });
    assert.deepEqual((await runStaleness(report, touched)).reasons, []);
    assert.deepEqual(touched.hashed, [model]);
  });

  it('configuration file modified after the run, replaced, created or gone', async () => {
    const newer = await runStaleness(report, probe({ [model]: old, [cfg]: { mtimeMs: created + 5000, size: 10 } }));
    assert.match(newer.reasons[0], /^robustness\.json was modified after this run \(2026-11-22 04:54 UTC, run 2026-11-22 04:53 UTC\)$/);
    const moved = await runStaleness(report, probe({ [model]: old }, '/work/main/samples/models/robustness.json'));
    assert.deepEqual(moved.reasons, [`a new run would read /work/main/samples/models/robustness.json, this run read ${cfg}`]);
    const gone = await runStaleness(report, probe({ [model]: old }, null));
    assert.match(gone.reasons[0], /is no longer found: a new run would use defaults$/);
    const without = fixtureReport();
    without.config.file = null;
    const created2 = await runStaleness(without, probe({ [model]: old }, cfg));
    assert.deepEqual(created2.reasons, [`${cfg} was created after this run (it ran without a configuration file)`]);
  });

  it('a model file that is gone: stale and not re-runnable', async () => {
    const s = await runStaleness(report, probe({}));
    assert.equal(s.modelMissing, true);
    assert.deepEqual(s.reasons, [`fashion-resnet.onnx no longer exists at ${model}`]);
  });
});

describe('runStaleness on disk (diskStalenessProbe)', () => {
  it('a real model file: fresh as written, stale once its bytes change, fresh again when only touched; a new robustness.json makes it stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-stale-'));
    try {
      mkdirSync(join(dir, '.git'));
      const modelPath = join(dir, 'model.onnx');
      const bytes = Buffer.from('not really onnx, but bytes with a hash');
      writeFileSync(modelPath, bytes);
      const report = fixtureReport();
      report.model = {
        ...report.model,
        path: modelPath,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        sizeBytes: bytes.length,
      };
      report.config.file = null;
      report.createdAt = new Date(Date.now() + 60_000).toISOString();
      const probe = diskStalenessProbe(() => dir);
      assert.deepEqual(await runStaleness(report, probe), { reasons: [], modelMissing: false });

      // Touched after the run, same content: not stale (the sha256 decides).
      const later = new Date(Date.now() + 120_000);
      utimesSync(modelPath, later, later);
      assert.deepEqual((await runStaleness(report, probe)).reasons, []);

      writeFileSync(modelPath, Buffer.from('not really onnx, but other bytes with a hash'));
      utimesSync(modelPath, later, later);
      assert.match((await runStaleness(report, probe)).reasons[0], /^model\.onnx changed after this run \(sha256 /);

      writeFileSync(modelPath, bytes);
      writeFileSync(join(dir, 'robustness.json'), '{}');
      assert.deepEqual((await runStaleness(report, probe)).reasons, [
        `${join(dir, 'robustness.json')} was created after this run (it ran without a configuration file)`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
