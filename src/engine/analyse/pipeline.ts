/**
 * The analyse job as named stages over two streamed passes, memory bounded by a batch:
 *  1. clean evaluation; then every batch is attacked once (stage "attacks") and its clean images and
 *     adversarial examples go through every defence configuration ("defences"), the RCT and spectra
 *     accumulators and Occluded Frequency before the batch is dropped;
 *  2. with each defence's configuration chosen from pass 1, the first N correctly classified images are
 *     attacked again: adaptive attacks, the ε sweep and the defended cost (passTwo.ts).
 *  3. when cheap relative to the run (extras.ts, recorded in the run plan), the Fourier heat map and a fast
 *     randomized-smoothing certification (not in a shard).
 * Cancellation keeps every finished section; the report is then marked partial.
 */
import { performance } from 'node:perf_hooks';
import { analyseBatches } from './analyseBatches';
import { correctness } from '../defences/tally';
import type { DefenceChoice } from '../defences/defence';
import { channelCount } from '../data/pixels';
import { EngineError, isEngineError } from '../errors';
import type { JobHooks } from '../jobs/evalJob';
import { prepareData, prepareModel, type JobRequest } from '../jobs/prepare';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import type { DefencesSection, FlagsSection, SanitySection, SweepsSection } from '../report/sections';
import { compareScores, maskingFlags } from '../eval/maskingFlags';
import type { AttackSuite } from '../jobs/attackSuite';
import type { AttacksSection } from '../jobs/attackJob';
import { Classifier } from '../runtime/classifier';
import type { AnalyseContext } from './context';
import { progressOf } from './context';
import type { AnalyseOptions } from './options';
import { addPasses, NO_PASSES, passOneRest, suiteAttackPasses } from './passCounts';
import { reattackedShares, runPassTwo, type PassTwoCounts } from './passTwo';
import { planAnalyse } from './plan';
import {
  budgetDeadline,
  cancelledDuringProbe,
  PLAN_SECTION,
  PLAN_SHARE,
  planRunStart,
  REPORT_RESERVE_SECONDS,
  type RunStart,
  type Schedule,
} from './runPlan';
import { replanPassTwo } from './replan';
import { extrasWork } from './extras';
import { ANALYSE_STAGES, PLAIN_DEFENDED, workSeconds } from './stageWork';
import { publishAttacks, startAttackStage, type AttackStage } from './stages/attacks';
import { runCleanStage } from './stages/clean';
import { chooseDefences, publishDefences, startDefenceStage, type ChosenDefences } from './stages/defences';
import { BATCH_STAGES } from './stages';
import { runExtras } from './stages/extras';
import { WorkProgress } from './workProgress';
import { sessionOptionsFor } from '../runtime/modelSession';
import { analyseShardExtras, type ShardExtras } from './shardExtras';

export async function runAnalysePipeline(
  req: JobRequest,
  givenOpts: AnalyseOptions,
  callerHooks: JobHooks = {},
  /** When the budget's deadline fires (tests give their own clock). */
  schedule?: Schedule,
): Promise<ReportV1> {
  const t0 = performance.now();
  const prepared = await prepareModel(req);
  const allData = await prepareData(prepared);
  const { config } = prepared;
  const p = config.preprocessing;
  planAnalyse(givenOpts, p, allData.samples.length); // bad options are refused before the model is opened
  const classifier = await Classifier.open(config, prepared.info, prepared.model);
  let start: Awaited<ReturnType<typeof planRunStart>>;
  try {
    start = await planRunStart(prepared, allData, classifier, givenOpts, callerHooks, t0);
  } catch (e) {
    await classifier.dispose();
    if (!cancelledDuringProbe(e)) throw e;
    return buildReport({ command: 'analyse', prepared, data: allData, classifier, status: 'partial', sections: {} });
  }
  const { opts, data } = start;
  const plan = planAnalyse(opts, p, data.samples.length);
  const deadline = budgetDeadline(callerHooks, opts.budgetSeconds ?? null, t0, start.work, schedule);
  const hooks = deadline.hooks;
  // With a budget, every model call first checks the deadline: a stop lands within one call, not one batch
  // (a 224×224 batch through the defence sweeps takes minutes on a CPU).
  if (opts.budgetSeconds !== undefined && hooks.signal) stopModelCallsOn(classifier, hooks.signal);
  const sections: ReportV1['sections'] = {};
  const rt = config.runtime;
  const ctx: AnalyseContext = {
    prepared,
    data,
    classifier,
    opts,
    plan,
    hooks,
    runSeed: config.seed,
    C: channelCount(p),
    H: p.height,
    W: p.width,
    classNames: config.classNames ?? data.dataset.classNames,
    sessionOpts: { ...sessionOptionsFor(rt), label: prepared.model.path },
    seeds: {},
    warnings: [],
    repeatability: [],
    epsilonCurve: null,
    defendedFactors: start.factors ?? PLAIN_DEFENDED,
    disposers: [],
    section: (name, value) => {
      sections[name] = value;
      hooks.onSection?.(name, value);
    },
    progress: progressOf(hooks),
    report: (p) => hooks.onProgress?.(p),
    signalOpt: hooks.signal ? { signal: hooks.signal } : {},
  };
  let shardExtras: ShardExtras | undefined;
  if (start.section) ctx.section(PLAN_SECTION, start.section);
  const report = (partial: boolean, skippedImages: { relPath: string; error: string }[], suite?: AttackSuite) => {
    const stopped = deadline.stopNote();
    if (stopped && start.section) {
      ctx.section(PLAN_SECTION, { ...start.section, stopped });
      ctx.warnings.push(stopped.note);
    }
    // The masking flags come last: they read the finished sections (attacks, defences, sweeps) and the measurements.
    if (sections.attacks) ctx.section('flags', flagsOf(ctx, sections, suite));
    return buildReport({
      ...(shardExtras ? { shardExtras } : {}),
      command: 'analyse',
      prepared,
      data,
      classifier,
      status: partial ? 'partial' : 'complete',
      skippedImages,
      sections,
      seeds: ctx.seeds,
      warnings: ctx.warnings,
    });
  };
  const passOneStart = performance.now();
  try {
    const clean = await runCleanStage(ctx).catch((e: unknown) => {
      if (isEngineError(e) && e.code === 'CANCELLED') return null;
      throw e;
    });
    if (!clean || clean.stopped) return report(true, clean?.skipped ?? []);
    const attacks = await startAttackStage(ctx);
    const pass1 = await runPassOne(ctx, attacks, clean.correct.size);
    if (pass1.defencesCut) {
      // A stop inside a batch's defence sweep leaves its grid points unevenly tallied: no defence figures then.
      ctx.warnings.push(
        'the run stopped inside the defence sweeps: the defences section is left out (its grid points had counted different images)',
      );
      return report(true, clean.skipped, attacks.suite);
    }
    const chosen = chooseDefences(ctx, pass1.defences);
    for (const s of pass1.stages) s.onDefencesChosen?.(chosen.results);
    // The defences' own sweeps are pass 1's: they reach the panel now, the ε sweep joins them after pass 2.
    const publishSweeps = () => {
      if (plan.analyses.sweeps && chosen.sweeps.length)
        ctx.section('sweeps', { kind: 'sweeps', sweeps: [...chosen.sweeps] } satisfies SweepsSection);
    };
    publishSweeps();
    let partial = pass1.partial;
    if (data.shard) {
      // Pass 2 re-attacks the whole sample's first correct images with each defence's configuration as chosen from
      // the whole sample. A shard knows that configuration only when the user gave it (else `merge` chooses from the
      // summed tallies, and pass 2 does not shard); it then attacks its own images among those first correct ones.
      let counts: PassTwoCounts | null = null;
      if (!partial && chosen.results.length && plan.defences.every((d) => !d.leavesParameterToSweep(opts))) {
        const adaptiveSet = await wholeSampleAdaptiveSet(ctx);
        partial = await addPassTwo(ctx, attacks, chosen, clean.correct, adaptiveSet, (c) => (counts = c));
        if (chosen.results.length && !pass1.partial) publishSweeps();
      } else if (chosen.results.length) publishDefences(ctx, chosen);
      shardExtras = analyseShardExtras(attacks, data.shard, pass1.defences, ctx, counts);
      return report(partial, clean.skipped, attacks.suite);
    }
    if (!partial && chosen.results.length) {
      const replanned = replanAfterPassOne(ctx, start, chosen.choices, clean.correct, attacks.builder !== null, t0, {
        seconds: (performance.now() - passOneStart) / 1000,
        attackSeconds: pass1.attackSeconds,
      });
      if (replanned && start.section) {
        const eot = replanned.eotSamples
          ? { ...start.section.eot, samples: replanned.eotSamples.to, chosenBy: 'budget' as const }
          : start.section.eot;
        start = { ...start, section: { ...start.section, eot, replanned } };
        ctx.section(PLAN_SECTION, start.section!);
        if (replanned.adaptiveImages.to < replanned.adaptiveImages.from)
          ctx.warnings.push(
            `the budget cut the adaptive images from ${replanned.adaptiveImages.from} to ${replanned.adaptiveImages.to}: ${replanned.note}`,
          );
      }
      partial = await addPassTwo(ctx, attacks, chosen, clean.correct);
    }
    if (chosen.results.length && !pass1.partial) publishSweeps();
    // The sections added when cheap (the run plan says which and why), after every other section.
    if (!partial)
      partial = await runExtras(ctx, start.extras).catch((e: unknown) => {
        if (isEngineError(e) && e.code === 'CANCELLED') return true;
        throw e;
      });
    return report(partial, clean.skipped, attacks.suite);
  } finally {
    deadline.dispose();
    for (const d of ctx.disposers.reverse()) await d();
    await classifier.dispose();
  }
}

/**
 * With a budget, after pass 1: pass 2 and the added sections re-estimated at pass 1's pace, with pass 1's exact
 * count of the examples pass 2 re-attacks (replan.ts); the plan's adaptive images and EOT samples cut or given
 * back (ctx.plan, which pass 2 reads). Null: unchanged.
 */
function replanAfterPassOne(
  ctx: AnalyseContext,
  start: RunStart,
  choices: DefenceChoice[],
  cleanCorrect: Set<string>,
  gradients: boolean,
  t0: number,
  /** Pass 1's seconds, and those of its scores and attacks (which pass 2 replays). */
  passOne: { seconds: number; attackSeconds: number },
) {
  const budget = ctx.opts.budgetSeconds;
  if (budget === undefined || ctx.data.shard || !start.costs || !start.shape) return null;
  const costs = start.costs;
  const passOneStages: string[] = [ANALYSE_STAGES.clean, ANALYSE_STAGES.passOne];
  const atSeconds = (performance.now() - t0) / 1000;
  // What the budget's plan took from pass 2, which the re-plan may give back.
  const reducedFrom = (kind: string) => start.section?.reductions.find((r) => r.kind === kind)?.from;
  const plan = ctx.plan;
  const replanned = replanPassTwo({
    opts: ctx.opts,
    preprocessing: ctx.prepared.config.preprocessing,
    images: ctx.data.samples.length,
    correct: cleanCorrect.size,
    shape: start.shape,
    costs,
    factors: ctx.defendedFactors,
    passOneEstimate: workSeconds(
      start.work.filter((w) => passOneStages.includes(w.stage)),
      costs,
    ),
    passOneSeconds: passOne.seconds,
    replaySecondsPerImage: passOne.attackSeconds / Math.max(1, ctx.data.samples.length),
    extrasSeconds: workSeconds(extrasWork(start.extras), costs),
    leftSeconds: Math.max(0, (budget - REPORT_RESERVE_SECONDS - atSeconds) * PLAN_SHARE),
    atSeconds,
    reattacked: (n) => reattackedShares(ctx.data.samples, choices, cleanCorrect, n, gradients),
    unreduced: {
      adaptiveImages: reducedFrom('adaptive-images') ?? plan.adaptiveImages,
      eotSamples: reducedFrom('eot-samples') ?? plan.eotSamples,
    },
  });
  if (replanned)
    ctx.plan = planAnalyse(
      { ...ctx.opts, adaptiveImages: replanned.adaptiveImages.to, eotSamples: replanned.eotSamples?.to ?? plan.eotSamples },
      ctx.prepared.config.preprocessing,
      ctx.data.samples.length,
    );
  return replanned;
}

/** Pass 1, batch by batch: attacks → defence tallies → the batch stages (frequency lens); then their sections. */
async function runPassOne(ctx: AnalyseContext, attacks: AttackStage, cleanCorrect: number) {
  const { classifier, prepared, data, plan } = ctx;
  const defences = await startDefenceStage(ctx, attacks);
  const stages = BATCH_STAGES.map((s) => s.start(ctx, attacks.refs));
  const times = { attacks: 0, defences: 0, frequency: 0 };
  const suite = attacks.suite;
  let partial = false;
  let defencesCut = false;
  const total = data.samples.length;
  // The batch's parts: its scores, each attack on its correct images, then the defences and frequency analyses.
  const shape = { height: ctx.H, width: ctx.W, numClasses: classifier.numClasses ?? ctx.classNames.length };
  const perAttack = suiteAttackPasses(plan, suite.attacks.length, shape.numClasses);
  const rest = addPasses({ forward: 1, gradient: 0 }, passOneRest(plan, shape, total ? cleanCorrect / total : 0, ctx.defendedFactors));
  const batchWork = (images: number, attacked: number) =>
    perAttack.reduce((sum, a) => addPasses(sum, a, attacked), addPasses(NO_PASSES, rest, images));
  const work = new WorkProgress(ctx.report, ANALYSE_STAGES.passOne, total, batchWork(total, cleanCorrect));
  try {
    for await (const { batch, count, before, done } of analyseBatches(ctx, data.samples)) {
      let t = performance.now();
      const scores = await classifier.scores(batch.pixels, count);
      // The first batch once more: randomized outputs show as different scores (a masking flag).
      if (before === 0) ctx.repeatability.push(compareScores('model', scores, await classifier.scores(batch.pixels, count), count));
      const attacked = suite.attackedCount(batch.samples, scores);
      work.startBatch(before, count, batchWork(count, attacked));
      const sb = await suite.runBatch(batch.samples, batch.pixels, scores, (finished) =>
        work.advance(addPasses(NO_PASSES, perAttack[finished - 1], attacked)),
      );
      times.attacks += (performance.now() - t) / 1000;
      t = performance.now();
      try {
        await defences.onBatch(sb);
      } catch (e) {
        if (isEngineError(e) && e.code === 'CANCELLED') defencesCut = true;
        throw e;
      }
      times.defences += (performance.now() - t) / 1000;
      t = performance.now();
      for (const s of stages) await s.onBatch({ samples: batch.samples, pixels: batch.pixels, suite: sb });
      times.frequency += (performance.now() - t) / 1000;
      work.endBatch();
      // The attacks' figures so far reach the panel after every batch, not only at the end of the pass.
      if (done < total) publishAttacks(ctx, attacks);
      if (ctx.hooks.signal?.aborted) {
        partial = true;
        break;
      }
    }
  } catch (e) {
    if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
    partial = true;
  }
  Object.assign(prepared.timings, times);
  publishAttacks(ctx, attacks);
  for (const s of stages) s.publish();
  return { defences, stages, partial, defencesCut, attackSeconds: times.attacks };
}

/** Pass 2's adaptive rows and costs into the defence results, its sweep after theirs; true when cancelled. */
async function addPassTwo(
  ctx: AnalyseContext,
  attacks: AttackStage,
  chosen: ChosenDefences,
  cleanCorrect: Set<string>,
  adaptiveSet?: Set<string>,
  onCounts?: (counts: PassTwoCounts) => void,
): Promise<boolean> {
  let partial = false;
  const pass2 = await runPassTwo(ctx, attacks, chosen.choices, cleanCorrect, adaptiveSet).catch((e) => {
    if (isEngineError(e) && e.code === 'CANCELLED') {
      partial = true;
      return null;
    }
    throw e;
  });
  if (pass2) {
    chosen.results.forEach((r, d) => {
      const { adaptive, cost } = pass2.defences[d];
      if (adaptive)
        r.rows.forEach((row, i) => {
          row.adaptive = adaptive[i];
        });
      if (cost) r.cost = cost;
    });
    chosen.sweeps.push(...pass2.sweeps);
    Object.assign(ctx.seeds, pass2.seeds);
    ctx.warnings.push(...pass2.warnings);
    ctx.repeatability.push(...pass2.repeatability);
    ctx.epsilonCurve = pass2.epsilonCurve;
    ctx.prepared.timings.adaptive = pass2.seconds;
    onCounts?.(pass2.counts);
  }
  if (attacks.gradientUnavailable)
    chosen.notes.push(`adaptive attacks need the model's gradient, which is unavailable: ${attacks.gradientUnavailable}`);
  publishDefences(ctx, chosen);
  return partial;
}

/**
 * A shard's images among the whole sample's first `adaptiveImages` correctly classified ones (the set pass 2 of
 * the unsharded run attacks): the whole sample classified once more, forward passes only.
 */
async function wholeSampleAdaptiveSet(ctx: AnalyseContext): Promise<Set<string>> {
  const first: string[] = [];
  const whole = ctx.data.wholeSamples ?? ctx.data.samples;
  for await (const { batch, count } of analyseBatches(ctx, whole)) {
    const c = correctness(
      await ctx.classifier.scores(batch.pixels, count),
      batch.samples.map((s) => s.label),
    );
    batch.samples.forEach((s, i) => {
      if (first.length < ctx.plan.adaptiveImages && (ctx.plan.criterion === 'top1' ? c.top1[i] : c.top5[i])) first.push(s.relPath);
    });
    if (first.length >= ctx.plan.adaptiveImages) break;
  }
  const mine = new Set(ctx.data.samples.map((s) => s.relPath));
  return new Set(first.filter((p) => mine.has(p)));
}

function flagsOf(ctx: AnalyseContext, sections: ReportV1['sections'], suite: AttackSuite | undefined): FlagsSection {
  return maskingFlags({
    attacks: sections.attacks as AttacksSection,
    defences: (sections.defences as DefencesSection | undefined) ?? null,
    epsilonCurve: ctx.epsilonCurve,
    sanity: (sections.sanity as SanitySection | undefined) ?? null,
    outputKind: ctx.classifier.outputKind,
    repeatability: ctx.repeatability,
    gradients: suite?.gradientHealth ?? null,
  });
}

/**
 * Model calls after `signal` aborts throw CANCELLED (the stages keep what they finished, as on a cancel);
 * a large call (post-averaging sends every point of a few images at once) is checked between batches.
 */
function stopModelCallsOn(classifier: Classifier, signal: AbortSignal): void {
  const scores = classifier.scores.bind(classifier);
  const stopped = () => new EngineError('CANCELLED', 'stopped at the budget');
  classifier.scores = async (pixels, count) => {
    const step = Math.max(1, classifier.batchSize);
    if (count <= step) {
      if (signal.aborted) throw stopped();
      return scores(pixels, count);
    }
    const per = pixels.length / count;
    const parts: Float32Array[] = [];
    for (let start = 0; start < count; start += step) {
      if (signal.aborted) throw stopped();
      const n = Math.min(step, count - start);
      parts.push(await scores(pixels.subarray(start * per, (start + n) * per), n));
    }
    const out = new Float32Array(parts.reduce((s, x) => s + x.length, 0));
    let at = 0;
    for (const x of parts) {
      out.set(x, at);
      at += x.length;
    }
    return out;
  };
}
