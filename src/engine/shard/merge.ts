/**
 * `merge`: one report from the shard reports of an eval or attack run, every aggregate recomputed from the
 * shards' per-image data in whole-sample order (counts, accuracies, mean confidence, confusion matrix, per-class
 * rows, medians and norms, budget curves, the ensemble's cascade, the sanity findings). Pure: reports in, report
 * out; the CLI reads and writes the files. Refuses shards that are partial, missing, repeated, or that differ in
 * what was run (it names the field).
 */
import { randomUUID } from 'node:crypto';
import { EngineError } from '../errors';
import type { ReportV1, CleanSection } from '../report/schema';
import type { ImagePrediction } from '../eval/cleanEval';
import { accuracyTotals, confusionSummary } from '../eval/cleanEval';
import { checkSanity, type OutputRange, type SanityEvidence } from '../eval/sanity';
import type { SanitySection } from '../report/sections';
import { summarise, type ImageOutcome } from '../attacks/protocol';
import { summariseEnsemble } from '../attacks/ensemble';
import type { AttacksSection } from '../jobs/attackJob';
import type { GalleryItem } from '../attacks/gallery';
import { checkReportInvariants } from '../report/invariants';
import { outcomeRows } from './outcomeColumns';
import { attackNorm } from '../attacks/catalog';
import {
  labelWithoutEpsilon,
  robustnessCurves,
  type DerivedRun,
  type MeasuredRun,
  type RobustnessCurvesSection,
} from '../attacks/robustnessCurves';
import type { OutcomeColumns } from '../report/schema';
import { mergeFlags } from './mergeFlags';
import { mergeDefences, mergeOccludedFrequency, mergePerImage, mergeRct, mergeSpectra, sweepsSection } from './mergeAnalyse';

export interface ShardInput {
  report: ReportV1;
  /** Where it came from (a file), for messages. */
  source: string;
}

/** A gallery image of shard `shard` (its run folder) that the merged gallery keeps under a new name. */
export interface GalleryCopy {
  shard: number;
  from: string;
  to: string;
}

export const MERGEABLE_COMMANDS = ['eval', 'attack', 'analyse'] as const;

/** What must be equal across shards: the run's identity, not its timing or machine. */
const SAME_FIELDS: [string, (r: ReportV1) => unknown][] = [
  ['command', (r) => r.command],
  ['tool.version', (r) => r.tool.version],
  ['model.sha256', (r) => r.model.sha256],
  ['config.resolved', (r) => ({ ...r.config.resolved, runtime: { ...r.config.resolved.runtime, threads: undefined } })],
  ['dataset.fingerprint', (r) => r.dataset?.fingerprint],
  ['dataset.classNames', (r) => r.dataset?.classNames],
  ['shard.count', (r) => r.shard?.count],
  ['shard.sampledImages', (r) => r.shard?.sampledImages],
  ['shard.sampleFingerprint', (r) => r.shard?.sampleFingerprint],
  ['seeds', (r) => r.seeds],
  ['sections.attacks (criterion, gradient, attacks and their parameters)', (r) => attackIdentity(r)],
  ['shard.analyse.setup (defence options, sweeps, tolerance)', (r) => r.shard?.analyse?.setup ?? null],
];

function attackIdentity(r: ReportV1): unknown {
  const s = r.sections.attacks as AttacksSection | undefined;
  if (!s) return null;
  return {
    criterion: s.criterion,
    gradient: s.gradient,
    runs: s.runs.map((x) => ({ label: x.label, mode: x.mode, params: x.params, targeted: x.targeted, seed: x.seed })),
    ensemble: s.ensemble ? { version: s.ensemble.version, norm: s.ensemble.norm, eps: s.ensemble.eps } : null,
  };
}

/** The first path at which two JSON values differ ('' if they are equal). */
function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return path;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
    if (d !== null) return d;
  }
  return null;
}

function valueAt(v: unknown, path: string): unknown {
  return path === '' ? v : path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], v);
}

/** Checks the shards form one complete run; returns them by shard index. */
export function checkShards(inputs: ShardInput[]): ShardInput[] {
  if (inputs.length === 0) throw new EngineError('USAGE', 'merge needs the shard reports of one run (report.json of each shard)');
  for (const { report, source } of inputs) {
    if (!report.shard)
      throw new EngineError('USAGE', `${source} is not a shard's report (it was not run with --shard i/n or a scheduler's array index)`);
    if (!(MERGEABLE_COMMANDS as readonly string[]).includes(report.command))
      throw new EngineError(
        'USAGE',
        `${source}: merge combines ${MERGEABLE_COMMANDS.join(', ')} reports; this is a ${report.command} report`,
      );
    if (report.status !== 'complete')
      throw new EngineError(
        'USAGE',
        `${source}: shard ${report.shard.index} is ${report.status} (cancelled or failed); run that shard again`,
      );
  }
  const first = inputs[0];
  for (const other of inputs.slice(1)) {
    for (const [name, get] of SAME_FIELDS) {
      const a = get(first.report);
      const b = get(other.report);
      const d = firstDifference(a, b);
      if (d === null) continue;
      const field = d ? `${name.replace(/ \(.*\)$/, '')}.${d}` : name;
      throw new EngineError(
        'USAGE',
        `${other.source} and ${first.source} are not shards of the same run: they differ in ${field} (${JSON.stringify(valueAt(b, d))} vs ${JSON.stringify(valueAt(a, d))})`,
        { hint: 'every shard must run the same command, model, configuration, seed, limit and shard count' },
      );
    }
  }
  const n = first.report.shard!.count;
  const byIndex = new Map<number, ShardInput>();
  for (const input of inputs) {
    const i = input.report.shard!.index;
    const seen = byIndex.get(i);
    if (seen) throw new EngineError('USAGE', `shard ${i} of ${n} is given twice: ${seen.source} and ${input.source}`);
    byIndex.set(i, input);
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length)
    throw new EngineError(
      'USAGE',
      `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${n} ${missing.length > 1 ? 'are' : 'is'} missing`,
      {
        hint: `run --shard ${missing[0]}/${n} and pass its report too`,
      },
    );
  const ordered = Array.from({ length: n }, (_, i) => byIndex.get(i)!);
  const covered = new Set(ordered.flatMap((s) => s.report.shard!.images));
  const total = first.report.shard!.sampledImages;
  if (covered.size !== total || ordered.reduce((k, s) => k + s.report.shard!.images.length, 0) !== total)
    throw new EngineError('USAGE', `the shards' images do not cover the sample of ${total} images exactly once`);
  return ordered;
}

/** Position in the whole sample of every relPath the shards ran. */
function positions(shards: ShardInput[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const { report } of shards) report.shard!.relPaths.forEach((p, r) => map.set(p, report.shard!.images[r]));
  return map;
}

const byPosition =
  <T>(pos: Map<string, number>, key: (x: T) => string) =>
  (a: T, b: T) =>
    pos.get(key(a))! - pos.get(key(b))!;

function mergeRange(ranges: (OutputRange | null | undefined)[]): OutputRange | null {
  const rs = ranges.filter((r): r is OutputRange => !!r);
  if (!rs.length) return null;
  return {
    min: Math.min(...rs.map((r) => r.min)),
    max: Math.max(...rs.map((r) => r.max)),
    rowSumMin: Math.min(...rs.map((r) => r.rowSumMin)),
    rowSumMax: Math.max(...rs.map((r) => r.rowSumMax)),
    rows: rs.reduce((k, r) => k + r.rows, 0),
  };
}

function sanityFor(report: ReportV1, evidence: SanityEvidence): SanitySection {
  const classNames = report.dataset!.classNames;
  return checkSanity(evidence, {
    numOutputs: Math.max(report.model.info.output.numClasses ?? 0, classNames.length),
    classNames,
    classNamesSource: report.config.resolved.classNames ? (report.config.provenance.classNames ?? 'config') : 'default',
    outputKind: report.model.outputKind,
    labelsByName: report.dataset!.kind === 'image-folder',
  });
}

/** The clean section from every shard's predictions, accumulated in sample order as the clean evaluation does. */
function mergeClean(shards: ShardInput[], pos: Map<string, number>): CleanSection {
  const sections = shards.map((s) => s.report.sections.clean!);
  const first = sections[0];
  const classNames = shards[0].report.dataset!.classNames;
  const numClasses = first.confusion
    ? first.confusion.length
    : Math.max(classNames.length, shards[0].report.model.info.output.numClasses ?? 0);
  const predictions: ImagePrediction[] = sections.flatMap((s) => s.predictions).sort(byPosition(pos, (p) => p.relPath));
  const cells = new Map<number, number>();
  let top1 = 0,
    top5 = 0,
    confidenceSum = 0;
  for (const p of predictions) {
    confidenceSum += p.confidence;
    if (p.predicted === p.label) top1++;
    if (p.top5.includes(p.label)) top5++;
    if (p.label < numClasses && p.predicted < numClasses) {
      const cell = p.label * numClasses + p.predicted;
      cells.set(cell, (cells.get(cell) ?? 0) + 1);
    }
  }
  const evaluated = predictions.length;
  const { perClass, confusion, confusionCells } = confusionSummary(cells, numClasses, classNames);
  const seconds = sections.reduce((k, s) => k + s.throughput.seconds, 0);
  return {
    kind: 'clean',
    partial: false,
    requested: shards[0].report.shard!.sampledImages,
    evaluated,
    ...accuracyTotals(evaluated, top1, top5, confidenceSum),
    perClass,
    confusion,
    ...(confusionCells ? { confusionCells } : {}),
    predictions,
    outputRange: mergeRange(sections.map((s) => s.outputRange)),
    throughput: {
      seconds,
      inferenceSeconds: sections.reduce((k, s) => k + s.throughput.inferenceSeconds, 0),
      imagesPerSecond: seconds > 0 ? evaluated / seconds : 0,
      batchSize: first.throughput.batchSize,
    },
  };
}

/** One run's outcomes from every shard, in sample order. */
function mergedOutcomes(shards: ShardInput[], columnsOf: (s: ShardInput) => OutcomeColumns | undefined, label: string): ImageOutcome[] {
  return shards
    .flatMap((s) => {
      const cols = columnsOf(s);
      if (!cols) throw new EngineError('USAGE', `shard ${s.report.shard!.index} (${s.source}) lacks the per-image outcomes of ${label}`);
      return outcomeRows(cols);
    })
    .sort((x, y) => x.image - y.image)
    .map((r) => r.outcome);
}

/**
 * The robustness curves from the merged per-image outcomes, as the unsharded run builds them: derived curves of
 * the minimal-ε / minimal-perturbation runs, measured curves of the fixed-ε runs and the ε-list suite's runs.
 */
function mergeCurves(shards: ShardInput[], runs: AttacksSection['runs'], outcomes: ImageOutcome[][]): RobustnessCurvesSection | null {
  const given = shards[0].report.sections.robustnessCurves as RobustnessCurvesSection | undefined;
  const curves = shards[0].report.shard!.attacks?.curves;
  if (!given || !curves) return null;
  const criterion = given.criterion;
  const expanded = curves.entries.length > 0;
  const derived: DerivedRun[] = [];
  const measured: MeasuredRun[] = [];
  runs.forEach((run, a) => {
    const name = curves.attackNames[a];
    const norm = attackNorm(name, run.params);
    if (run.mode === 'minimal-eps' || run.mode === 'minimal-perturbation') {
      const budget = run.mode === 'minimal-eps' && typeof run.params.eps === 'number' ? run.params.eps : null;
      derived.push({ label: run.label, attack: name, mode: run.mode, norm, budget, outcomes: outcomes[a] });
    } else if (expanded && run.mode === 'fixed-eps' && typeof run.params.eps === 'number') {
      measured.push({ label: labelWithoutEpsilon(run.label), attack: name, norm, eps: run.params.eps, summary: run });
    }
  });
  curves.entries.forEach((e, k) => {
    const rows = mergedOutcomes(shards, (s) => s.report.shard!.attacks?.curves?.outcomes[k], `${e.label} at ε = ${e.eps}`);
    const summary = summarise(rows, {
      label: e.label,
      mode: 'fixed-eps',
      params: { eps: e.eps },
      criterion,
      targeted: null,
      gradient: 'analytic',
      seed: 0,
      seconds: 0,
      budgetNorm: null,
    });
    measured.push({ ...e, summary });
  });
  if (derived.length === 0 && measured.length === 0) return null;
  return robustnessCurves({ criterion, evaluated: runs[0]?.evaluated ?? 0, epsList: curves.epsList, derived, measured });
}

/** The attacks section from every shard's per-image outcomes; galleries joined (as many as one shard keeps). */
function mergeAttacks(
  shards: ShardInput[],
  pos: Map<string, number>,
  copies: GalleryCopy[],
): { section: AttacksSection; evidence: SanityEvidence | null; curves: RobustnessCurvesSection | null } {
  const sections = shards.map((s) => s.report.sections.attacks as AttacksSection);
  const first = sections[0];
  const outcomes = first.runs.map((run, a) => mergedOutcomes(shards, (s) => s.report.shard!.attacks?.outcomes[a], run.label));
  const runs = first.runs.map((run, a) => {
    const seconds = sections.reduce((k, s) => k + s.runs[a].seconds, 0);
    const { gallery: _g, ...summary } = run;
    const merged = summarise(outcomes[a], {
      label: summary.label,
      mode: summary.mode,
      params: summary.params,
      criterion: summary.criterion,
      targeted: summary.targeted,
      gradient: summary.gradient,
      seed: summary.seed,
      seconds,
      budgetNorm: summary.budgetCurve?.norm ?? null,
    });
    // The unsharded run keeps the first `limit` successes in sample order; each shard kept its own first ones, so
    // those are among them: sorted by position and cut, the gallery is the unsharded run's.
    const limit = shards[0].report.shard!.attacks?.galleryLimit ?? 0;
    const gallery: GalleryItem[] = sections
      .flatMap((s, shard) => s.runs[a].gallery.map((item) => ({ item, shard })))
      .sort((x, y) => pos.get(x.item.relPath)! - pos.get(y.item.relPath)!)
      .slice(0, limit)
      .map(({ item, shard }, g) => {
        const files = Object.fromEntries(
          Object.entries(item.files).map(([k, from]) => {
            const to = `gallery/attack-${a + 1}/${String(g).padStart(2, '0')}-${from.replace(/^.*[\\/]\d+-/, '')}`;
            copies.push({ shard, from, to });
            return [k, to];
          }),
        ) as GalleryItem['files'];
        return { ...item, files };
      });
    return { ...merged, gallery };
  });
  const section: AttacksSection = { kind: 'attacks', criterion: first.criterion, gradient: first.gradient, notes: first.notes, runs };
  if (first.ensemble) {
    const e = first.ensemble;
    section.ensemble = summariseEnsemble(
      {
        version: e.version,
        norm: e.norm,
        eps: e.eps,
        labels: e.attacks.map((r) => r.label),
        seconds: e.attacks.map((_, a) => sections.reduce((k, s) => k + (s.ensemble?.attacks[a]?.seconds ?? 0), 0)),
      },
      sections.flatMap((s) => s.ensemble!.images).sort(byPosition(pos, (m) => m.relPath)),
    );
  }
  const evidences = shards.map((s) => s.report.shard!.attacks?.evidence).filter((e): e is SanityEvidence => !!e);
  let evidence: SanityEvidence | null = null;
  if (evidences.length) {
    const cells = new Map<string, number>();
    for (const e of evidences) for (const [t, p, n] of e.confusionCells ?? []) cells.set(`${t},${p}`, (cells.get(`${t},${p}`) ?? 0) + n);
    const evaluated = evidences.reduce((k, e) => k + e.evaluated, 0);
    evidence = {
      evaluated,
      top1Correct: evidences.reduce((k, e) => k + e.top1Correct, 0),
      // count-weighted: equal to the unsharded mean up to rounding
      meanConfidence: evaluated ? evidences.reduce((k, e) => k + e.meanConfidence * e.evaluated, 0) / evaluated : 0,
      confusion: null,
      confusionCells: [...cells].map(([key, n]) => {
        const [t, p] = key.split(',').map(Number);
        return [t, p, n] as [number, number, number];
      }),
      outputRange: mergeRange(evidences.map((e) => e.outputRange)),
    };
  }
  return { section, evidence, curves: mergeCurves(shards, runs, outcomes) };
}

export interface MergeResult {
  report: ReportV1;
  copies: GalleryCopy[];
}

export async function mergeShardReports(inputs: ShardInput[]): Promise<MergeResult> {
  const shards = checkShards(inputs);
  const base = shards[0].report;
  const pos = positions(shards);
  const copies: GalleryCopy[] = [];
  const sections: ReportV1['sections'] = {};
  let evidence: SanityEvidence | null = null;
  const analyseMissing: string[] = [];
  if (base.command === 'eval') {
    const clean = mergeClean(shards, pos);
    sections.clean = clean;
    evidence = clean;
  } else if (base.command === 'analyse') {
    // The analyse report's order: clean, sanity, attacks, curves, defences, sweeps, the frequency lens, per-image.
    const clean = mergeClean(shards, pos);
    sections.clean = clean;
    evidence = clean;
    sections.sanity = null;
    const merged = mergeAttacks(shards, pos, copies);
    sections.attacks = merged.section;
    if (merged.curves) sections.robustnessCurves = merged.curves;
    const defences = await mergeDefences(shards);
    if (defences) sections.defences = defences.section;
    const sweeps = sweepsSection(defences?.sweeps ?? []);
    if (sweeps) sections.sweeps = sweeps;
    const order = merged.section.runs.map((r) => r.label);
    const of = mergeOccludedFrequency(shards, pos, copies);
    if (of) sections.occludedFrequency = of;
    const rct = mergeRct(shards, order);
    if (rct) sections.rct = rct;
    const spectra = mergeSpectra(shards, order);
    if (spectra) sections.spectra = spectra;
    const perImage = mergePerImage(shards, pos, defences?.section.results ?? null, copies);
    if (perImage) sections.perImage = perImage.section;
    if (perImage?.defencesDropped) analyseMissing.push("the per-image table's defence columns (the shards chose other configurations)");
  } else {
    const merged = mergeAttacks(shards, pos, copies);
    sections.attacks = merged.section;
    if (merged.curves) sections.robustnessCurves = merged.curves;
    evidence = merged.evidence;
  }
  const sanity = evidence && evidence.evaluated > 0 ? sanityFor(base, evidence) : null;
  if (sanity) sections.sanity = sanity;
  else delete sections.sanity;
  const flags = mergeFlags(
    shards.map((s) => s.report),
    sections,
  );
  if (flags) sections.flags = flags;
  // The shards' own sanity findings and invariant checks are recomputed; other warnings (provider fallback, model notes) kept once.
  const shardOwn = new Set(
    shards.flatMap((s) => ((s.report.sections.sanity as SanitySection | undefined)?.findings ?? []).map((f) => f.message)),
  );
  const kept = [...new Set(shards.flatMap((s) => s.report.warnings))].filter(
    (w) => !shardOwn.has(w) && !w.startsWith('report check failed: '),
  );
  const timings: Record<string, number> = {};
  for (const s of shards) for (const [k, v] of Object.entries(s.report.timings)) timings[k] = (timings[k] ?? 0) + v;
  const missing = [...notRecomputed(shards), ...analyseMissing];
  const { shard: _shard, ...envelope } = base;
  const report: ReportV1 = {
    ...envelope,
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    status: 'complete',
    dataset: {
      ...base.dataset!,
      sampledImages: base.shard!.sampledImages,
      skippedImages: shards.flatMap((s) => s.report.dataset!.skippedImages).sort(byPosition(pos, (x) => x.relPath)),
    },
    timings,
    sections,
    warnings: [
      ...kept,
      ...(sanity ? sanity.findings.map((f) => f.message) : []),
      ...notRecomputedWarning(missing),
      ...passTwoHint(missing, sections),
    ],
    merged: {
      shards: shards.length,
      reportIds: shards.map((s) => s.report.id),
      notRecomputed: missing,
    },
  };
  report.warnings.push(...checkReportInvariants(report).map((v) => `report check failed: ${v}`));
  return { report, copies };
}

/**
 * What the shards hold that the merge does not yet recompute exactly (the attack runs' cost counters; the
 * gradient-masking flags when only some shards have them; the robustness curves of shards without their per-image data): left out of the merged report and named, never summed
 * into something that only looks exact. An unsharded run gives them.
 */
function notRecomputed(shards: ShardInput[]): string[] {
  const out: string[] = [];
  const runs = (s: ShardInput) => (s.report.sections.attacks as { runs?: { cost?: unknown }[] } | undefined)?.runs ?? [];
  if (shards.some((s) => runs(s).some((r) => r.cost !== undefined))) out.push('attack cost counters');
  // Shards written before their reports carried the curves' per-image data.
  if (shards.some((s) => s.report.sections.robustnessCurves !== undefined && !s.report.shard?.attacks?.curves))
    out.push('robustness curves');
  // Flags are recomputed when every shard measured them (mergeFlags); a shard without them leaves them out.
  if (shards.some((s) => s.report.sections.flags !== undefined) && shards.some((s) => s.report.sections.flags === undefined))
    out.push('gradient-masking flags');
  // analyse shards run pass 2 only when every defence's configuration was given (else it is chosen by the merge).
  if (
    shards.some((s) => (s.report.sections.defences as { results?: unknown[] } | undefined)?.results?.length) &&
    !shards.every((s) => s.report.shard?.analyse?.pass2)
  )
    out.push('pass 2 (adaptive attacks, the ε sweep, defence costs)');
  return out;
}

/**
 * Pass 2 needs the configuration the merge chose from the whole sample: the flags that fix it, for a second
 * sharded run whose merge then has pass 2 (a two-step run; an unsharded run does both at once).
 */
function passTwoHint(missing: string[], sections: ReportV1['sections']): string[] {
  if (!missing.some((n) => n.startsWith('pass 2'))) return [];
  type Chosen = { defence: { kind: string; params: Record<string, unknown> } };
  const results = ((sections.defences as { results?: Chosen[] } | undefined)?.results ?? []).map((r) => r.defence);
  const flags = results.flatMap((d) =>
    d.kind === 'low-pass'
      ? [`--cutoff ${String(d.params.cutoff)}`]
      : d.kind === 'post-averaging'
        ? [`--K ${String(d.params.K)}`, `--radius ${Number(Number(d.params.radius).toPrecision(6))}`]
        : [],
  );
  return flags.length
    ? [
        `pass 2 (the adaptive attacks against the defences, the ε sweep) needs the configuration chosen from the whole sample: run the shards again with ${flags.join(' ')} (what this merge chose) and merge those`,
      ]
    : [];
}

function notRecomputedWarning(missing: string[]): string[] {
  return missing.length
    ? [
        `merge does not yet recompute ${missing.join(', ')} from the shards: they are left out of the merged report (an unsharded run has them)`,
      ]
    : [];
}
