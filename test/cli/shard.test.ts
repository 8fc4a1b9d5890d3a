/**
 * Scale-out: three shards of eval and attack run as parallel processes of the real CLI, merged, and compared
 * field by field with the unsharded run. FGSM and DeepFool use no random stream, so every field but timings,
 * ids and dates must be equal; bad shard arguments and incomplete or mismatched shard sets fail clearly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/shared';
import { CLI, TSX, cli } from './checkHelpers';

const MODEL = resolve(REPO_ROOT, 'samples/fashion-resnet.onnx');
const LIMIT = '24';

/** This process's environment without a scheduler's array index (a test run inside one would shard the unsharded runs). */
const BASE_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(JOB_COMPLETION|SLURM_ARRAY_)/.test(k)));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: REPO_ROOT, env: { ...BASE_ENV, ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stderr }));
  });
}

/** Fields that differ between any two runs of the same thing: when, which id, how long. */
// `plan` is each process's own timing probe and estimate (analyse); a merged run has no single one.
const VOLATILE = new Set(['id', 'createdAt', 'timings', 'seconds', 'inferenceSeconds', 'imagesPerSecond', 'merged', 'plan']);
/** What the merge names as not yet recomputed (merged.notRecomputed and a warning say so): compared apart. */
const NOT_RECOMPUTED = new Set(['cost']);

type Flags = {
  flags: { id: string; subject: string }[];
  checked: string[];
  measurements: { repeatability: { model: string; differing: number }[]; gradients: unknown; outputKind: unknown };
};
/**
 * The flags' deterministic part: which fired (id and subject), what was checked, the gradient-health counts and
 * the output kind. Repeatability's image counts differ by design: each shard scores its own first batch twice.
 * `skip`: flag ids whose evidence comes from pass 2 (a shard without it cannot raise them); then only the
 * undefended model's repeatability is compared, since the defended models' is measured in pass 2 too.
 */
function flagsCore(f: Flags | undefined, skip: string[] = []) {
  assert.ok(f, 'a flags section');
  return {
    fired: f.flags
      .filter((x) => !skip.includes(x.id))
      .map((x) => `${x.id}:${x.subject}`)
      .sort(),
    checked: [...f.checked].sort(),
    gradients: f.measurements.gradients,
    outputKind: f.measurements.outputKind,
    repeated: f.measurements.repeatability
      .filter((r) => skip.length === 0 || r.model === 'model')
      .map((r) => `${r.model}:${r.differing > 0}`),
  };
}

function differences(a: unknown, b: unknown, path = '', out: string[] = [], close?: (path: string) => boolean): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  // Means the merge weights by count (RCT maps, spectra): equal up to the rounding of a different summation order.
  if (typeof a === 'number' && typeof b === 'number' && close?.(path) && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a))) return out;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    return out;
  }
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (VOLATILE.has(k) || NOT_RECOMPUTED.has(k)) continue;
    differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out, close);
  }
  return out;
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/**
 * The sections analyse adds when cheap (analyse/extras.ts: the Fourier heat map, certification) and their seeds,
 * taken out of the unsharded report: a shard leaves them out and the merge does not compute them (each shard's
 * plan says so), while the unsharded run adds them when its estimate makes them cheap enough.
 */
function withoutExtras(r: { seeds: Record<string, number>; sections: object }) {
  const sections = r.sections as Record<string, unknown>;
  delete sections.fourierHeatmap;
  delete sections.certification;
  for (const key of Object.keys(r.seeds)) if (/^(fourier|certify)\//.test(key)) delete r.seeds[key];
}

async function shardedAndWhole(dir: string, args: (out: string) => string[]) {
  const results = await Promise.all([
    ...[0, 1, 2].map((i) => run([...args(join(dir, `s${i}`)), '--shard', `${i}/3`])),
    run(args(join(dir, 'all'))),
  ]);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
}

test('attack: three parallel shards merge to the unsharded report (FGSM, DeepFool, --eps-list: every deterministic field equal)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-shard-'));
  const args = (out: string) => [
    'attack',
    MODEL,
    '--limit',
    LIMIT,
    '--attack',
    'fgsm',
    '--attack',
    'deepfool',
    '--eps-list',
    '1/255,4/255',
    '--out',
    out,
    '--quiet',
  ];
  await shardedAndWhole(dir, args);
  const shard0 = read(join(dir, 's0', 'report.json')) as { shard: { index: number; count: number; images: number[] } };
  assert.deepEqual([shard0.shard.index, shard0.shard.count], [0, 3]);
  assert.deepEqual(shard0.shard.images, [0, 3, 6, 9, 12, 15, 18, 21]);
  const m = cli(['merge', join(dir, 's2'), join(dir, 's0', 'report.json'), join(dir, 's1'), '--out', join(dir, 'merged')], REPO_ROOT);
  assert.equal(m.code, 0, m.stderr);
  const whole = read(join(dir, 'all', 'report.json'));
  const merged = read(join(dir, 'merged', 'report.json'));
  // What the merge does not yet recompute is named, in the report and in one warning, and left out.
  const notRecomputed = (merged.merged as { notRecomputed: string[] }).notRecomputed;
  assert.deepEqual(notRecomputed, ['attack cost counters']);
  // The robustness curves are recomputed: FGSM measured at 1/255, 4/255 and its own 8/255, DeepFool's derived curve.
  type Curves = { norms: { norm: string; curves: { label: string; source: string; points: { eps: number }[] }[] }[] };
  const curves = (merged.sections as { robustnessCurves: Curves }).robustnessCurves;
  const linf = curves.norms.find((n) => n.norm === 'linf')!.curves;
  assert.deepEqual(
    linf.find((c) => c.source === 'measured')!.points.map((p) => p.eps),
    [1 / 255, 4 / 255, 8 / 255],
  );
  assert.ok(curves.norms.some((n) => n.curves.some((c) => c.source === 'derived')));
  const warnings = merged.warnings as string[];
  assert.ok(
    warnings.some((w) => w.startsWith('merge does not yet recompute attack cost counters')),
    warnings.join(' | '),
  );
  // The flags are recomputed from the merged sections and the shards' summed measurements.
  const flagsOf = (r: Record<string, unknown>) => (r.sections as { flags?: Flags }).flags;
  assert.deepEqual(flagsCore(flagsOf(merged)), flagsCore(flagsOf(whole)));
  delete (merged.sections as Record<string, unknown>).flags;
  delete (whole.sections as Record<string, unknown>).flags;
  merged.warnings = warnings.filter((w) => !w.startsWith('merge does not yet recompute'));
  assert.deepEqual(differences(whole, merged), []);
  assert.equal((merged.merged as { shards: number }).shards, 3);
  // the gallery's PNGs came along under the names the report gives
  const runs = (merged.sections as { attacks: { runs: { gallery: { files: Record<string, string> }[] }[] } }).attacks.runs;
  assert.ok(runs[0].gallery.length > 0);
  for (const f of Object.values(runs[0].gallery[0].files)) assert.ok(existsSync(join(dir, 'merged', f)), f);

  // A missing shard is named, and an existing merged run is left as it was.
  const before = readFileSync(join(dir, 'merged', 'report.json'), 'utf8');
  const missing = cli(['merge', join(dir, 's0'), join(dir, 's2'), '--out', join(dir, 'merged')], REPO_ROOT);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /shard 1 of 3 is missing/);
  assert.equal(readFileSync(join(dir, 'merged', 'report.json'), 'utf8'), before);
  // A shard given twice, and a report that is not a shard's.
  assert.match(
    cli(['merge', join(dir, 's0'), join(dir, 's0'), join(dir, 's1'), '--out', join(dir, 'x')], REPO_ROOT).stderr,
    /shard 0 of 3 is given twice/,
  );
  assert.match(cli(['merge', join(dir, 'all'), '--out', join(dir, 'x')], REPO_ROOT).stderr, /is not a shard's report/);
  // A shard of another seed: the differing field is named.
  const other = read(join(dir, 's1', 'report.json')) as { config: { resolved: { seed: number } } };
  other.config.resolved.seed = 7;
  writeFileSync(join(dir, 'other.json'), JSON.stringify(other));
  const mismatch = cli(['merge', join(dir, 's0'), join(dir, 'other.json'), join(dir, 's2'), '--out', join(dir, 'x')], REPO_ROOT);
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /differ in config\.resolved\.seed \(7 vs 0\)/);
  assert.ok(!existsSync(join(dir, 'x')));
});

test('eval: three parallel shards merge to the unsharded report (predictions, confusion, per-class, confidence, sanity)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-shard-eval-'));
  const args = (out: string) => ['eval', MODEL, '--limit', LIMIT, '--json', `${out}.json`, '--quiet'];
  await shardedAndWhole(dir, args);
  const m = cli(['merge', join(dir, 's0.json'), join(dir, 's1.json'), join(dir, 's2.json'), '--out', join(dir, 'merged')], REPO_ROOT);
  assert.equal(m.code, 0, m.stderr);
  assert.deepEqual(differences(read(join(dir, 'all.json')), read(join(dir, 'merged', 'report.json'))), []);
});

test('the shard comes from the Kubernetes or Slurm array environment when --shard is absent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-shard-env-'));
  const base = ['eval', MODEL, '--limit', '10', '--quiet'];
  const k8s = await run([...base, '--json', join(dir, 'k.json')], { JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '4' });
  assert.equal(k8s.code, 0, k8s.stderr);
  const k = read(join(dir, 'k.json')) as { shard: { index: number; count: number; images: number[] } };
  assert.deepEqual([k.shard.index, k.shard.count, k.shard.images], [1, 4, [1, 5, 9]]);
  const slurm = await run([...base, '--json', join(dir, 's.json')], {
    SLURM_ARRAY_TASK_ID: '3',
    SLURM_ARRAY_TASK_COUNT: '3',
    SLURM_ARRAY_TASK_MIN: '1',
  });
  assert.equal(slurm.code, 0, slurm.stderr);
  const s = read(join(dir, 's.json')) as { shard: { index: number; count: number } };
  assert.deepEqual([s.shard.index, s.shard.count], [2, 3]);
});

test('--shard 3/2 and malformed shards are usage errors', () => {
  const bad = cli(['eval', MODEL, '--limit', '4', '--shard', '3/2'], REPO_ROOT);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /shard index 3 is out of range 0…1 for 2 shards/);
  assert.match(cli(['eval', MODEL, '--shard', 'two'], REPO_ROOT).stderr, /expected i\/n/);
  for (const command of ['defend', 'check'])
    assert.match(cli([command, MODEL, '--shard', '0/2'], REPO_ROOT).stderr, new RegExp(`${command} does not shard yet`));
  // a budget plans one process's reductions: with a shard (flag or array environment) it is refused
  const budget = cli(['analyse', MODEL, '--limit', '4', '--budget', '5m'], REPO_ROOT, {
    SLURM_ARRAY_TASK_ID: '1',
    SLURM_ARRAY_TASK_COUNT: '2',
  });
  assert.equal(budget.code, 2);
  assert.match(budget.stderr, /--budget and a shard \(1\/2\) do not go together/);
  const env = cli(['eval', MODEL, '--limit', '4'], REPO_ROOT, { JOB_COMPLETION_INDEX: '0' });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /JOB_COMPLETIONS is not/);
});

test('attack --suite autoattack: merged counts are the sums of the shards, the cascade over all images in sample order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-shard-aa-'));
  const args = (i: number) => [
    'attack',
    MODEL,
    '--limit',
    '6',
    '--suite',
    'autoattack',
    '--shard',
    `${i}/2`,
    '--out',
    join(dir, `s${i}`),
    '--quiet',
  ];
  for (const r of await Promise.all([run(args(0)), run(args(1))])) assert.equal(r.code, 0, r.stderr);
  const m = cli(['merge', join(dir, 's0'), join(dir, 's1'), '--out', join(dir, 'merged')], REPO_ROOT);
  assert.equal(m.code, 0, m.stderr);
  type Ens = { evaluated: number; robustCorrect: number; attacks: { broke: number; ranOn: number }[]; images: { relPath: string }[] };
  type Rep = {
    warnings: string[];
    shard?: { images: number[]; relPaths: string[] };
    sections: { attacks: { runs: { numAdversarial: number; attackedImages: number }[]; ensemble: Ens } };
  };
  const shards = [0, 1].map((i) => read(join(dir, `s${i}`, 'report.json')) as unknown as Rep);
  const merged = read(join(dir, 'merged', 'report.json')) as unknown as Rep;
  const sum = (f: (r: Rep) => number) => shards.reduce((k, r) => k + f(r), 0);
  const e = merged.sections.attacks.ensemble;
  assert.equal(e.evaluated, 6);
  assert.equal(
    e.robustCorrect,
    sum((r) => r.sections.attacks.ensemble.robustCorrect),
  );
  e.attacks.forEach((row, a) => {
    assert.equal(
      row.broke,
      sum((r) => r.sections.attacks.ensemble.attacks[a].broke),
    );
    assert.equal(
      row.ranOn,
      sum((r) => r.sections.attacks.ensemble.attacks[a].ranOn),
    );
  });
  merged.sections.attacks.runs.forEach((run, a) => {
    assert.equal(
      run.numAdversarial,
      sum((r) => r.sections.attacks.runs[a].numAdversarial),
    );
    assert.equal(
      run.attackedImages,
      sum((r) => r.sections.attacks.runs[a].attackedImages),
    );
  });
  // sample order: position p belongs to shard p mod 2
  const byPosition = new Map(shards.flatMap((r) => r.shard!.relPaths.map((p, k) => [p, r.shard!.images[k]] as const)));
  assert.deepEqual(
    e.images.map((m) => byPosition.get(m.relPath)),
    [0, 1, 2, 3, 4, 5],
  );
  assert.deepEqual(
    merged.warnings.filter((w) => w.startsWith('report check failed')),
    [],
  );
});

test('analyse: three parallel shards merge to the unsharded run in every pass-1 field (the cutoff chosen from the summed tallies)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-shard-analyse-'));
  // FGSM, DeepFool and the low-pass filter draw no random numbers; Occluded Frequency's zero baseline neither.
  const args = (out: string) => [
    'analyse',
    MODEL,
    '--preset',
    'fast',
    '--limit',
    '18',
    '--attack',
    'fgsm',
    '--attack',
    'deepfool',
    '--defence',
    'lowpass',
    '--of-images',
    '7',
    '--adaptive-images',
    '4',
    '--out',
    out,
    '--quiet',
  ];
  await shardedAndWhole(dir, args);
  const m = cli(['merge', join(dir, 's1'), join(dir, 's0'), join(dir, 's2'), '--out', join(dir, 'merged')], REPO_ROOT);
  assert.equal(m.code, 0, m.stderr);
  type Report = {
    seeds: Record<string, number>;
    warnings: string[];
    merged?: { notRecomputed: string[] };
    sections: {
      defences: { results: { cost: unknown; rows: { adaptive: unknown }[] }[] };
      sweeps: { sweeps: { id: string }[] };
      attacks: { runs: { cost?: unknown }[] };
      perImage: { defences: unknown[]; attacks: { saved: { images: number[] } }[]; examples: { adversarial: string } };
      occludedFrequency: { models: { images: { original?: string; previews?: { path: string }[] }[] }[] };
      flags?: unknown;
    };
  };
  const whole = read(join(dir, 'all', 'report.json')) as unknown as Report;
  const merged = read(join(dir, 'merged', 'report.json')) as unknown as Report;
  // Pass 2 needs the configuration chosen from the whole sample: shards do not run it, and the merge says so.
  const notRecomputed = merged.merged!.notRecomputed;
  assert.ok(notRecomputed.includes('pass 2 (adaptive attacks, the ε sweep, defence costs)'), notRecomputed.join(' | '));
  // … and says how to get it: the shards again with the configuration it chose (here the low-pass cutoff).
  const chosen = (merged.sections.defences.results[0] as unknown as { defence: { params: { cutoff: number } } }).defence.params.cutoff;
  assert.ok(
    merged.warnings.some(
      (w) => w.startsWith('pass 2 (the adaptive attacks') && w.includes(`run the shards again with --cutoff ${chosen} `),
    ),
    merged.warnings.join(' | '),
  );
  // The flags are recomputed; those whose evidence is pass 2's (the adaptive collapse, the ε sweep's curve) cannot fire.
  assert.ok(!notRecomputed.includes('gradient-masking flags'));
  const pass2Flags = ['adaptive-collapse', 'robustness-not-decreasing-with-eps'];
  assert.deepEqual(flagsCore(merged.sections.flags as Flags, pass2Flags), flagsCore(whole.sections.flags as Flags, pass2Flags));
  delete merged.sections.flags;
  for (const r of merged.sections.defences.results) {
    assert.equal(r.cost, null);
    for (const row of r.rows) assert.equal(row.adaptive, null);
  }
  // The unsharded run without what pass 2 adds (and the fields named above): the rest must be equal.
  withoutExtras(whole);
  for (const key of Object.keys(whole.seeds)) if (/epsilon|adaptive/i.test(key)) delete whole.seeds[key];
  for (const r of whole.sections.defences.results) {
    r.cost = null;
    for (const row of r.rows) row.adaptive = null;
  }
  whole.sections.sweeps.sweeps = whole.sections.sweeps.sweeps.filter((s) => s.id !== 'defence-rate-vs-epsilon');
  // The per-image defence columns are each shard's own choice's verdicts: kept only when every shard chose the merged cutoff.
  if (notRecomputed.some((n) => n.startsWith("the per-image table's defence columns"))) {
    assert.deepEqual(merged.sections.perImage.defences, []);
    whole.sections.perImage.defences = [];
  }
  delete whole.sections.flags;
  merged.warnings = merged.warnings.filter((w) => !w.startsWith('merge does not yet recompute') && !w.startsWith('pass 2 (the adaptive'));
  const close = (path: string) => /^\.sections\.(rct|spectra)\./.test(path);
  assert.deepEqual(differences(whole, merged, '', [], close), []);
  // Files the merged report names came along: Occluded Frequency's previews, the per-image examples under their new rows.
  const of = merged.sections.occludedFrequency.models[0].images;
  assert.equal(of.length, 7);
  const files = of.flatMap((i) => [i.original, ...(i.previews ?? []).map((p) => p.path)]).filter((f): f is string => !!f);
  assert.ok(files.length > 0);
  const saved = merged.sections.perImage.attacks[0].saved.images;
  assert.ok(saved.length > 0);
  files.push(
    ...saved.map((image) => merged.sections.perImage.examples.adversarial.replace('{attack}', '1').replace('{image}', String(image))),
  );
  for (const f of files) assert.ok(existsSync(join(dir, 'merged', f)), f);
  // Shards of another defence setup: the differing field is named.
  const other = read(join(dir, 's1', 'report.json')) as { shard: { analyse: { setup: { tolerance: number } } } };
  other.shard.analyse.setup.tolerance = 0.05;
  writeFileSync(join(dir, 'other.json'), JSON.stringify(other));
  const mismatch = cli(['merge', join(dir, 's0'), join(dir, 'other.json'), join(dir, 's2'), '--out', join(dir, 'x')], REPO_ROOT);
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /differ in shard\.analyse\.setup\.tolerance \(0\.05 vs 0\.01\)/);
});

test('analyse with the cutoff given: the shards run pass 2 on their part of the adaptive images, merged exactly where it is deterministic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-shard-analyse2-'));
  const args = (out: string) => [
    'analyse',
    MODEL,
    '--preset',
    'fast',
    '--limit',
    '18',
    '--attack',
    'fgsm',
    '--attack',
    'deepfool',
    '--defence',
    'lowpass',
    '--cutoff',
    '8',
    '--adaptive-images',
    '7',
    '--of-images',
    '2',
    '--out',
    out,
    '--quiet',
  ];
  await shardedAndWhole(dir, args);
  const m = cli(['merge', join(dir, 's0'), join(dir, 's1'), join(dir, 's2'), '--out', join(dir, 'merged')], REPO_ROOT);
  assert.equal(m.code, 0, m.stderr);
  type Adaptive = { defenceRate: number | null; attacked: { top1: number; top5: number } } | null;
  type Sweep = { id: string; y?: unknown; series: { y: (number | null)[] }[] };
  type Report = {
    merged?: { notRecomputed: string[] };
    warnings: string[];
    seeds: Record<string, number>;
    sections: {
      defences: { results: { cost: unknown; rows: { adaptive: Adaptive }[] }[] };
      sweeps: { sweeps: Sweep[] };
      flags?: unknown;
    };
  };
  const whole = read(join(dir, 'all', 'report.json')) as unknown as Report;
  const merged = read(join(dir, 'merged', 'report.json')) as unknown as Report;
  assert.ok(!merged.merged!.notRecomputed.some((n) => n.startsWith('pass 2')), merged.merged!.notRecomputed.join(' | '));
  // Statistically equivalent, not compared exactly: the adaptive PGD's and the ε sweep's random starts come from
  // one stream per batch (a shard's batches hold other images), and the defence's cost is a timing.
  const statistical = (r: Report) => {
    const out: unknown[] = [];
    for (const result of r.sections.defences.results) {
      assert.ok(result.cost !== null);
      result.cost = null;
      for (const row of result.rows) {
        const a = row.adaptive!;
        assert.ok(a !== null);
        out.push(a.defenceRate, a.attacked);
        a.defenceRate = null;
        a.attacked = { top1: 0, top5: 0 };
      }
    }
    const eps = r.sections.sweeps.sweeps.find((s) => s.id === 'defence-rate-vs-epsilon')!;
    for (const series of eps.series) {
      for (const y of series.y) assert.ok(y === null || (y >= 0 && y <= 1));
      out.push(series.y);
      series.y = [];
    }
    return out;
  };
  statistical(whole);
  statistical(merged);
  withoutExtras(whole);
  // Which flags fire is compared; their evidence includes the statistical adaptive rates.
  assert.deepEqual(flagsCore(merged.sections.flags as Flags), flagsCore(whole.sections.flags as Flags));
  delete merged.sections.flags;
  delete whole.sections.flags;
  merged.warnings = merged.warnings.filter((w) => !w.startsWith('merge does not yet recompute'));
  // Everything else equal: the adaptive rows' images, #Adv and non-adaptive rates, the ε sweep's grid and image
  // count, the per-image defence columns (every shard used the given cutoff), and every pass-1 field.
  const close = (path: string) => /^\.sections\.(rct|spectra)\./.test(path);
  assert.deepEqual(differences(whole, merged, '', [], close), []);
});

test('analyse with post-averaging left to its sweep: the merge rebuilds its candidate grid and chooses the radius over all images', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-shard-pa-'));
  const args = (i: number) => [
    'analyse',
    MODEL,
    '--preset',
    'fast',
    '--limit',
    '6',
    '--attack',
    'fgsm',
    '--defence',
    'post-averaging',
    '--K',
    '2',
    '--of-images',
    '1',
    '--shard',
    `${i}/2`,
    '--out',
    join(dir, `s${i}`),
    '--quiet',
  ];
  for (const r of await Promise.all([run(args(0)), run(args(1))])) assert.equal(r.code, 0, r.stderr);
  const m = cli(['merge', join(dir, 's0'), join(dir, 's1'), '--out', join(dir, 'merged')], REPO_ROOT);
  assert.equal(m.code, 0, m.stderr);
  type Row = { evaluated: number; numAdversarial: number };
  type Rep = {
    shard?: { analyse: { defences: { tallies: { evaluated: number; numAdversarial: number }[] }[] } };
    sections: {
      defences: { results: { defence: { kind: string }; chosenBy: string; rows: Row[] }[] };
      sweeps: { sweeps: { id: string }[] };
    };
  };
  const shards = [0, 1].map((i) => read(join(dir, `s${i}`, 'report.json')) as unknown as Rep);
  const merged = read(join(dir, 'merged', 'report.json')) as unknown as Rep;
  const result = merged.sections.defences.results[0];
  assert.equal(result.defence.kind, 'post-averaging');
  assert.match(result.chosenBy, /defence rate|clean top-1 drop/);
  assert.equal(result.rows[0].evaluated, 6);
  // every candidate's tally is the sum of the shards' (the chosen one among them)
  const sums = shards[0].shard!.analyse.defences[0].tallies.map(
    (t, k) => t.numAdversarial + shards[1].shard!.analyse.defences[0].tallies[k].numAdversarial,
  );
  assert.ok(sums.includes(result.rows[0].numAdversarial));
  assert.ok(merged.sections.sweeps.sweeps.some((s) => s.id === 'defence-rate-vs-radius'));
});
