/**
 * `attack`: runs one or more attacks over the sampled images, batch by batch (each batch is decoded once and
 * attacked by every attack of the suite), and reports the paper's protocol per attack, with gallery PNGs.
 * Cancellation stops after the current batch; what finished is reported, marked partial (an ensemble keeps the
 * attacks of its cascade that finished on the interrupted batch).
 */
import { streamPixelBatches } from '../data/batches';
import { isEngineError } from '../errors';
import { gradientBuilderFor } from '../grad/forClassifier';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import { pixelSpecFor } from '../input/pixelSpec';
import { Classifier } from '../runtime/classifier';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import type { GradientChoice } from '../attacks/context';
import type { GalleryItem } from '../attacks/gallery';
import type { AttackRunSummary } from '../attacks/protocol';
import type { Criterion } from '../attacks/types';
import type { EnsembleSection } from '../attacks/ensemble';
import { AttackSuite, imagesDoneWithin, type SuiteOptions } from './attackSuite';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest, type PreparedData } from './prepare';
import { curvesSection, epsListSpecs, type EpsListEntry } from './robustnessCurvesSection';
import { seedRecord } from '../util/seeds';
import type { SanityEvidence } from '../eval/sanity';
import { outcomeColumns } from '../shard/outcomeColumns';
import { CleanPredictionTally, sanitySection, sanityWarnings } from './sanityCheck';
import { compareScores, maskingFlags, type Repeatability } from '../eval/maskingFlags';

export type { TargetChoice } from './attackSuite';
export type AttackJobOptions = SuiteOptions;

export interface AttacksSection {
  kind: 'attacks';
  criterion: Criterion;
  gradient: GradientChoice;
  /** Notes from the gradient builder (e.g. probabilities differentiated as log-probabilities). */
  notes: string[];
  runs: (AttackRunSummary & { gallery: GalleryItem[] })[];
  /**
   * `--suite autoattack`: the runs are the cascade's attacks in order — each run's attacked images are the ones
   * it ran on, its attacked accuracy the robust accuracy after it — and this is the ensemble's summary.
   */
  ensemble?: EnsembleSection;
}

/** A shard's per-image outcomes, each row at its position in the whole sample (for `merge`). */
function shardAttacks(
  suite: AttackSuite,
  shard: NonNullable<PreparedData['shard']>,
  evidence: SanityEvidence,
  curves: { epsList: number[]; expanded: { suite: AttackSuite; entries: EpsListEntry[] } | null } | null,
) {
  const position = new Map(shard.relPaths.map((p, r) => [p, shard.images[r]]));
  const columns = (s: AttackSuite) => {
    const { relPaths, outcomes } = s.perImage();
    const images = relPaths.map((p) => position.get(p)!);
    return outcomes.map((o) => outcomeColumns(o, images.slice(0, o.length)));
  };
  return {
    outcomes: columns(suite),
    evidence: evidence.evaluated > 0 ? evidence : null,
    galleryLimit: suite.options.gallery,
    ...(curves
      ? {
          curves: {
            attackNames: suite.options.attacks.map((a) => a.name),
            epsList: [...curves.epsList],
            entries: curves.expanded?.entries ?? [],
            outcomes: curves.expanded ? columns(curves.expanded.suite) : [],
          },
        }
      : {}),
  };
}

export async function runAttackJob(req: JobRequest, opts: AttackJobOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const classNames = prepared.config.classNames ?? data.dataset.classNames;
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  let suite: AttackSuite | null = null;
  /** `--eps-list`: the fixed-ε attacks again at each ε of the list, on the same batches. */
  let expanded: { suite: AttackSuite; entries: EpsListEntry[] } | null = null;
  let builder: ClassifierGradientBuilder | null = null;
  let partial = false;
  const skipped: { relPath: string; error: string }[] = [];
  const tally = new CleanPredictionTally();
  /** The first batch classified twice: randomized outputs show as different scores (a masking flag). */
  let repeat: Repeatability | null = null;
  try {
    suite = new AttackSuite(prepared, classifier, classNames, opts, hooks.signal);
    if (opts.epsList) {
      const { specs, entries } = epsListSpecs(suite, opts.epsList);
      if (specs.length)
        expanded = {
          suite: new AttackSuite(
            prepared,
            classifier,
            classNames,
            { ...opts, attacks: specs, gallery: 0, outDir: null },
            hooks.signal,
            'attacks/eps-list',
          ),
          entries,
        };
    }
    suite.probeGradients();
    try {
      let done = 0;
      const attacks = suite.attacks.length + (expanded?.suite.attacks.length ?? 0);
      const stage = `attacking (${attacks} attack${attacks > 1 ? 's' : ''})`;
      hooks.onProgress?.({ stage, done, total: data.samples.length });
      for await (const batch of streamPixelBatches(
        data.samples,
        pixelSpecFor(prepared.config.preprocessing),
        classifier.batchSize,
        hooks.signal ? { signal: hooks.signal } : {},
      )) {
        for (const f of batch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
        const count = batch.samples.length;
        if (count > 0) {
          const scores = await classifier.scores(batch.pixels, count);
          repeat ??= compareScores('model', scores, await classifier.scores(batch.pixels, count), count);
          tally.add(
            scores,
            batch.samples.map((x) => x.label),
            classifier.outputKind!.kind,
          );
          if (!suite.started) {
            // The output kind is known after the first batch; the gradient graph is built once, if needed.
            if (suite.needsGradient) builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, scores.length / count);
            suite.start(builder);
            expanded?.suite.start(builder);
          }
          const before = done;
          await suite.runBatch(batch.samples, batch.pixels, scores, (finished) =>
            hooks.onProgress?.({ stage, done: imagesDoneWithin(before, count, finished, attacks), total: data.samples.length }),
          );
          const first = suite.attacks.length;
          await expanded?.suite.runBatch(batch.samples, batch.pixels, scores, (finished) =>
            hooks.onProgress?.({
              stage,
              done: imagesDoneWithin(before, count, first + finished, attacks),
              total: data.samples.length,
            }),
          );
        }
        done += count + batch.failed.length;
        hooks.onProgress?.({ stage, done, total: data.samples.length });
        if (hooks.signal?.aborted) {
          partial = true;
          break;
        }
      }
    } catch (e) {
      if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
      partial = true;
    }
    const section: AttacksSection = {
      kind: 'attacks',
      criterion: opts.criterion,
      gradient: opts.gradient,
      notes: [...(builder?.notes ?? [])],
      runs: suite.summaries(),
    };
    // An attack that could not run as asked (APGD-DLR on < 3 classes, more APGD-T targets than classes − 1) says why.
    for (const run of section.runs) if (typeof run.params.fallback === 'string') section.notes.push(`${run.label}: ${run.params.fallback}`);
    const ensemble = suite.ensembleSection();
    if (ensemble) section.ensemble = ensemble;
    hooks.onSection?.('attacks', section);
    const curves = curvesSection(suite, opts.criterion, opts.epsList ?? [], expanded);
    if (curves) hooks.onSection?.('robustnessCurves', curves);
    // Only when some image was classified (a run cancelled before its first batch has nothing to check).
    const evidence = tally.evidence();
    const sanity = evidence.evaluated > 0 ? sanitySection(evidence, prepared, data, classifier) : null;
    if (sanity) hooks.onSection?.('sanity', sanity);
    const flags =
      evidence.evaluated > 0
        ? maskingFlags({
            attacks: section,
            sanity,
            outputKind: classifier.outputKind,
            repeatability: repeat ? [repeat] : [],
            gradients: suite.gradientHealth,
          })
        : null;
    if (flags) hooks.onSection?.('flags', flags);
    prepared.timings.attacks = suite.totalSeconds + (expanded?.suite.totalSeconds ?? 0);
    return buildReport({
      command: 'attack',
      prepared,
      data,
      classifier,
      status: partial ? 'partial' : 'complete',
      skippedImages: skipped,
      sections: {
        attacks: section,
        ...(curves ? { robustnessCurves: curves } : {}),
        ...(sanity ? { sanity } : {}),
        ...(flags ? { flags } : {}),
      },
      seeds: { ...suite.seeds(), ...(expanded ? seedRecord(prepared.config.seed, 'attacks/eps-list') : {}) },
      ...(data.shard
        ? {
            shardExtras: {
              attacks: shardAttacks(suite, data.shard, evidence, curves ? { epsList: opts.epsList ?? [], expanded } : null),
            },
          }
        : {}),
      warnings: [
        ...(sanity ? sanityWarnings(sanity) : []),
        ...(opts.gradient === 'estimated'
          ? ['white-box attacks used ESTIMATED gradients (NES, forward passes only): their strength is a lower bound']
          : []),
      ],
    });
  } finally {
    await suite?.dispose();
    await expanded?.suite.dispose();
    await classifier.dispose();
  }
}
