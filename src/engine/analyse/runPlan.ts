/**
 * The start of every analyse run: the timing probe (probe.ts), the EOT samples for this model's cost, with a
 * budget the planner's reductions (budget.ts), and the `plan` section that records all of it before any
 * stage runs (the CLI prints it, the panel shows it). With a budget, also the deadline: a signal that stops
 * the run at the budget as a cancel does (finished sections kept), and the note on what it cut.
 */
import { performance } from 'node:perf_hooks';
import { sampleDataset } from '../data/dataset';
import { EngineError, isEngineError } from '../errors';
import type { JobHooks } from '../jobs/evalJob';
import type { PreparedModel } from '../jobs/prepare';
import type { RunPlanExtra, RunPlanSection } from '../report/sections';
import { EXTRA_SHARE, extrasWork, planExtras, runSecondsInForwardPasses } from './extras';
import type { Classifier } from '../runtime/classifier';
import { pointsPerImage } from '../defences/postAveraging';
import { estimateRun, minimumSeconds, planBudget, resolveEotSamples } from './budget';
import type { AdaptiveAttack } from '../defences/adaptive';
import type { PreparedData } from './context';
import type { AnalyseOptions } from './options';
import { analyseWork, GRADIENT_PASS_WEIGHT, type ImageShape } from './passCounts';
import { planAnalyse } from './plan';
import { bandCount, groupCount } from '../spectral/occludedFrequency';
import { probePassCosts } from './probe';
import { stageSeconds, type DefendedPassFactors, type PassCosts, type StageWork } from './stageWork';

/** Images the run's probe times: enough for a steady per-image cost, few enough to cost seconds on a large model. */
export const RUN_PROBE_IMAGES = 8;
/**
 * Share of the budget left after the probe that the planned work may fill: the rest covers image decoding and
 * the FFT-only analyses, which the estimate leaves out (the defences' JavaScript work is in the probe's factors,
 * and a pass 1 slower than its estimate is caught by the re-plan after it).
 */
export const PLAN_SHARE = 0.95;
/** Seconds kept before the budget's end to write the report. */
export const REPORT_RESERVE_SECONDS = 2;
export const PLAN_SECTION = 'plan';
export const PROBE_STAGE = 'timing probe';

export interface RunStart {
  opts: AnalyseOptions;
  data: PreparedData;
  section: RunPlanSection | null;
  work: StageWork[];
  extras: RunPlanExtra[];
  /** The probe's per-pass costs and defended factors and the model's shape, for the re-plan after pass 1 (null without images). */
  costs: PassCosts | null;
  factors: DefendedPassFactors | null;
  shape: ImageShape | null;
}

/** Probes, resolves the EOT samples, plans to the budget; throws a USAGE error when the budget is below the minimum. */
export async function planRunStart(
  prepared: PreparedModel,
  data: PreparedData,
  classifier: Classifier,
  opts: AnalyseOptions,
  hooks: JobHooks,
  t0: number,
): Promise<RunStart> {
  if (data.samples.length === 0) return { opts, data, section: null, work: [], extras: [], costs: null, factors: null, shape: null };
  const p = prepared.config.preprocessing;
  const probe = await probePassCosts(prepared, data.samples, classifier, {
    maxImages: RUN_PROBE_IMAGES,
    K: opts.K,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    step: (done) => hooks.onProgress?.({ stage: PROBE_STAGE, done, total: 3 }),
  });
  const costs = {
    forwardSeconds: probe.forwardSeconds,
    gradientSeconds: probe.gradientSeconds ?? GRADIENT_PASS_WEIGHT * probe.forwardSeconds,
  };
  const shape = {
    height: p.height,
    width: p.width,
    numClasses: classifier.numClasses ?? data.dataset.classNames.length,
    batchSize: classifier.batchSize,
  };
  const eotSamples = resolveEotSamples(opts, probe.gradientSeconds);
  let runOpts: AnalyseOptions = { ...opts, eotSamples };
  let runData = data;
  const elapsed = (performance.now() - t0) / 1000;
  const budget = opts.budgetSeconds ?? null;
  let reductions: RunPlanSection['reductions'] = [];
  let fits = true;
  let work: StageWork[];
  // The run builds the gradient graph again for the attacks, and once more for pass 2's adaptive attacks: the
  // probe timed one build (a large model's graph takes seconds to tens of seconds).
  const gradientSetup =
    probe.gradientSeconds === null ? 0 : probe.gradientSetupSeconds * (opts.defences === undefined || opts.defences.length ? 2 : 1);
  // No defence, no adaptive attack to name.
  let adaptiveChoice: RunPlanSection['adaptive'] =
    opts.defences !== undefined && opts.defences.length === 0
      ? undefined
      : { attack: opts.adaptiveAttack ?? 'pgd', chosenBy: opts.adaptiveAttack !== undefined ? 'user' : 'default' };
  if (budget !== null) {
    const seconds = (budget - elapsed - gradientSetup - REPORT_RESERVE_SECONDS) * PLAN_SHARE;
    const least = minimumSeconds(data.samples.length, costs);
    if (seconds < least) {
      const needed = elapsed + gradientSetup + REPORT_RESERVE_SECONDS + least / PLAN_SHARE;
      throw new EngineError(
        'USAGE',
        `budget ${budget} s: too small for this run, which needs at least ${Math.ceil(needed)} s (${elapsed.toFixed(1)} s to load the model and time it, then the clean pass of ${Math.min(data.samples.length, 8)} images)`,
        { hint: `give --budget ${Math.ceil(needed)}s or more` },
      );
    }
    const problem = { preprocessing: p, shape, accuracy: probe.probeAccuracy, costs, factors: probe.defendedFactors };
    // The stages leave the added sections their share (extras.ts: up to EXTRA_SHARE of the stages), as a run
    // without a budget does; a shard and `defend` add none.
    const extrasPossible = !data.shard && opts.analyses?.spectra !== false;
    const stagesSeconds = extrasPossible ? seconds / (1 + EXTRA_SHARE) : seconds;
    const pick = chooseAdaptiveAttack(runOpts, problem, data.samples.length, stagesSeconds);
    if (pick) {
      runOpts = { ...runOpts, adaptiveAttack: pick.attack };
      adaptiveChoice = { attack: pick.attack, chosenBy: 'budget' };
      if (pick.from !== null) reductions.push(pick.from);
    }
    const r = planBudget({
      opts: runOpts,
      preprocessing: p,
      images: data.samples.length,
      shape,
      accuracy: probe.probeAccuracy,
      costs,
      factors: probe.defendedFactors,
      seconds: stagesSeconds,
    });
    runOpts = r.opts;
    reductions = [...reductions, ...r.reductions];
    fits = r.fits;
    work = r.work;
    if (r.images < data.samples.length)
      runData = { ...data, samples: sampleDataset(data.dataset, { limit: r.images, seed: prepared.config.seed }) };
  } else {
    work = analyseWork(planAnalyse(runOpts, p, data.samples.length), shape, runOpts.K, probe.probeAccuracy, probe.defendedFactors);
  }
  // The sections added when cheap (extras.ts), judged against the planned stages' estimate.
  const plannedSeconds = work.reduce((sum, w) => sum + stageSeconds(w, costs), 0);
  // Weighed in forward passes at plain defended passes: the same seed plans the same sections.
  const plainWork = analyseWork(planAnalyse(runOpts, p, runData.samples.length), shape, runOpts.K, probe.probeAccuracy);
  const extras = planExtras({
    runSeconds: runSecondsInForwardPasses(plainWork, costs.forwardSeconds),
    forwardSeconds: costs.forwardSeconds,
    images: runData.samples.length,
    height: p.height,
    width: p.width,
    budgetLeftSeconds:
      budget === null ? null : Math.max(0, (budget - elapsed - gradientSetup - REPORT_RESERVE_SECONDS) * PLAN_SHARE - plannedSeconds),
    shard: Boolean(data.shard),
    frequencyAnalyses: runOpts.analyses?.spectra !== false,
    modelPath: prepared.model.path,
  });
  work = [...work, ...extrasWork(extras)];
  const setupStage = { stage: 'gradient graph set-up', images: 0, forward: 0, gradient: 0, seconds: gradientSetup };
  // Counts are passes (defended ones as passes of the defended model); the seconds price them at the probe's factors.
  const counted = new Map([...plainWork, ...extrasWork(extras)].map((w) => [w.stage, w]));
  const stages = work.map((w) => {
    const c = counted.get(w.stage) ?? w;
    return {
      stage: w.stage,
      images: w.images,
      forward: c.images * c.perImage.forward,
      gradient: c.images * c.perImage.gradient,
      seconds: stageSeconds(w, costs),
    };
  });
  const finalPlan = planAnalyse(runOpts, p, runData.samples.length);
  const ofStage = finalPlan.stages.find((s) => s.stage === 'occludedFrequency');
  const bands = bandCount(p.height, p.width);
  const ofPlan: RunPlanSection['occludedFrequency'] =
    ofStage && ofStage.skipped === null
      ? {
          images: ofStage.sizes.images,
          bands,
          bandGroup: finalPlan.ofBandGroup,
          passesPerImage: groupCount(bands, finalPlan.ofBandGroup),
          chosenBy: reductions.some((r) => r.kind === 'of-band-group') ? 'budget' : opts.ofBandGroup !== undefined ? 'user' : 'image size',
        }
      : undefined;
  const section: RunPlanSection = {
    kind: 'run-plan',
    budgetSeconds: budget,
    probe: {
      images: probe.probeImages,
      accuracy: probe.probeAccuracy,
      forwardSeconds: probe.forwardSeconds,
      gradientSeconds: probe.gradientSeconds,
      defendedFactors: probe.defendedFactors,
      elapsedSeconds: elapsed,
    },
    eot: {
      samples: runOpts.eotSamples ?? eotSamples,
      points: pointsPerImage(opts.K),
      chosenBy: reductions.some((r) => r.kind === 'eot-samples') ? 'budget' : opts.eotSamples !== undefined ? 'user' : 'model cost',
    },
    ...(ofPlan ? { occludedFrequency: ofPlan } : {}),
    ...(adaptiveChoice ? { adaptive: adaptiveChoice } : {}),
    images: { available: data.samples.length, planned: runData.samples.length },
    stages: gradientSetup > 0 ? [setupStage, ...stages] : stages,
    estimateSeconds: elapsed + gradientSetup + stages.reduce((sum, x) => sum + x.seconds, 0),
    reductions,
    fits,
    stopped: null,
    extras,
  };
  return { opts: runOpts, data: runData, section, work, extras, costs, factors: probe.defendedFactors, shape };
}

/** The adaptive attacks the budget tries, strongest first (the last is taken when none fits). */
export const BUDGET_ADAPTIVE_ORDER: readonly AdaptiveAttack[] = ['autoattack', 'apgd-ce', 'pgd'];
const ADAPTIVE_NAMES: Record<AdaptiveAttack, string> = { autoattack: 'AutoAttack ensemble', 'apgd-ce': 'APGD-CE-10', pgd: 'PGD-10' };

/**
 * "Where the budget allows": with a budget and no `--adaptive`, the strongest adaptive attack whose run fits the
 * budget before any other reduction (the ensemble, else APGD-CE-10, else PGD-10, which the reductions then fit).
 * A choice below the ensemble is recorded as a reduction (1 = ensemble, 2 = APGD-CE, 3 = PGD). Null: the user
 * chose, or no defence runs.
 */
export function chooseAdaptiveAttack(
  opts: AnalyseOptions,
  problem: Parameters<typeof estimateRun>[1],
  images: number,
  seconds: number,
): { attack: AdaptiveAttack; from: RunPlanSection['reductions'][number] | null } | null {
  if (opts.adaptiveAttack !== undefined || (opts.defences !== undefined && opts.defences.length === 0)) return null;
  const last = BUDGET_ADAPTIVE_ORDER.length - 1;
  let k = BUDGET_ADAPTIVE_ORDER.findIndex((attack) => estimateRun({ ...opts, adaptiveAttack: attack }, problem, images).seconds <= seconds);
  const fits = k >= 0;
  if (!fits) k = last;
  const attack = BUDGET_ADAPTIVE_ORDER[k];
  const why = fits
    ? `${ADAPTIVE_NAMES[attack]} is the strongest whose run fits`
    : `none fits without other reductions: ${ADAPTIVE_NAMES[attack]}, the cheapest`;
  return {
    attack,
    from:
      k === 0
        ? null
        : {
            kind: 'adaptive-attack',
            what: `adaptive attack (${BUDGET_ADAPTIVE_ORDER.map((a, i) => `${i + 1} ${ADAPTIVE_NAMES[a]}`).join(', ')}; ${why})`,
            from: 1,
            to: k + 1,
          },
  };
}

/**
 * The run's signal: the caller's, and with a budget the deadline's as well. `stopNote` says, once the run
 * ended, whether the deadline stopped it and which stages it cut (the last stage a progress message named
 * and every stage after it).
 */
/** Calls `fire` after `ms` milliseconds; returns the cancel. Tests pass their own clock. */
export type Schedule = (ms: number, fire: () => void) => () => void;
const wallClock: Schedule = (ms, fire) => {
  const t = setTimeout(fire, ms);
  return () => clearTimeout(t);
};

export function budgetDeadline(
  hooks: JobHooks,
  budgetSeconds: number | null,
  t0: number,
  work: StageWork[],
  schedule: Schedule = wallClock,
) {
  if (budgetSeconds === null) return { hooks, stopNote: () => null, dispose: () => {} };
  const controller = new AbortController();
  const forward = () => controller.abort();
  if (hooks.signal?.aborted) controller.abort();
  hooks.signal?.addEventListener('abort', forward);
  let hitAt: number | null = null;
  const due = Math.max(0, t0 + (budgetSeconds - REPORT_RESERVE_SECONDS) * 1000 - performance.now());
  const cancelTimer = schedule(due, () => {
    hitAt = (performance.now() - t0) / 1000;
    controller.abort();
  });
  let lastStage: string | null = null;
  let lastDone = 0;
  let lastTotal = 0;
  const seen = new Set<string>();
  const runHooks: JobHooks = {
    ...hooks,
    signal: controller.signal,
    onProgress: (p) => {
      seen.add(p.stage);
      lastStage = p.stage;
      lastDone = p.done;
      lastTotal = p.total;
      hooks.onProgress?.(p);
    },
  };
  const stopNote = (): RunPlanSection['stopped'] => {
    if (hitAt === null || hooks.signal?.aborted) return null;
    const names = work.map((w) => w.stage);
    if (lastStage === names[names.length - 1] && lastDone >= lastTotal) return null;
    // Cut: the stage running at the stop (one the plan had not counted too: pass 2 when the probe found no
    // correct image) and every planned stage not yet begun.
    const running = lastStage !== null && lastDone < lastTotal ? [lastStage] : [];
    const cut = [...running, ...names.filter((n) => !seen.has(n))];
    const first = running.length ? `${running[0]} (${lastDone} of ${lastTotal} images done)` : '';
    const rest = cut.slice(running.length).map((s) => `${s} (not run)`);
    return {
      atSeconds: hitAt,
      cut,
      note: `stopped at the budget after ${Math.round(hitAt)} s: cut ${[first, ...rest].filter(Boolean).join(', ')}; the sections of finished stages are complete, those of the cut stages partial or absent`,
    };
  };
  return {
    hooks: runHooks,
    stopNote,
    dispose: () => {
      cancelTimer();
      hooks.signal?.removeEventListener('abort', forward);
    },
  };
}

/** A cancel during the probe is a cancelled run (partial, nothing finished); anything else is thrown. */
export function cancelledDuringProbe(e: unknown): boolean {
  return isEngineError(e) && e.code === 'CANCELLED';
}
