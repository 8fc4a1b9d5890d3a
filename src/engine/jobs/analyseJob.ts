/**
 * `analyse` (and `defend`, which is the same job with fewer sections): clean evaluation, the attack suite
 * (fixed-ε and minimal-ε side by side), the two no-retraining defences with their adaptive numbers, and
 * the frequency lens — Occluded Frequency, RCT maps, perturbation spectra — plus the papers' sweeps, in one
 * report. Two streamed passes over the images keep memory bounded by a batch:
 *  1. every batch is attacked once; its clean images and adversarial examples go through every defence
 *     configuration of the sweeps (radius × K for post-averaging, cutoff for low-pass), the RCT and spectra
 *     accumulators and Occluded Frequency before the batch is dropped;
 *  2. with the parameters chosen from pass 1, the first N correctly classified images are attacked again:
 *     adaptive attacks (same budget per image as each non-adaptive example) and the ε sweep.
 * Cancellation keeps every finished section; the report is then marked partial.
 */
import { performance } from 'node:perf_hooks';
import { streamPixelBatches } from '../data/batches';
import { channelCount } from '../data/pixels';
import { EngineError, isEngineError } from '../errors';
import { evaluateClean } from '../eval/cleanEval';
import { gradientBuilderFor } from '../grad/forClassifier';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import { GradientModel } from '../grad/gradientModel';
import type { GradientSource } from '../grad/estimatedGradient';
import { pixelSpecFor } from '../input/pixelSpec';
import { Classifier } from '../runtime/classifier';
import type { SessionOptions } from '../runtime/modelSession';
import { buildReport } from '../report/buildReport';
import type { CleanSection, ReportV1 } from '../report/schema';
import type {
  DefenceResult, DefencesSection, OccludedFrequencySection, RctSection, SpectraSection, Sweep, SweepsSection, DefenceAttackRef,
} from '../report/sections';
import type { AttackSpec } from '../attacks/registry';
import { WHITE_BOX } from '../attacks/registry';
import type { Attack, Criterion } from '../attacks/types';
import type { ScoreModel } from '../runtime/scoreModel';
import { formatEpsilon } from '../attacks/format';
import { Rng } from '../util/random';
import {
  PostAveragedModel, checkPostAveraging, pointsPerImage, radiusHint, radiusInPixels, randomDirections, type DirectionSampler,
} from '../defences/postAveraging';
import { ReluHyperplaneSampler } from '../defences/reluNormals';
import { LowPassModel, checkCutoff } from '../defences/lowPassModel';
import { EotGradient } from '../defences/eotGradient';
import { DefenceTally, chooseParameter, correctness } from '../defences/tally';
import { adaptiveBudget, adaptiveLabel, adaptivePgd, attackNorm } from '../defences/adaptive';
import { lowPassMatrix, maxCutoff } from '../spectral/lowPass';
import { RctAccumulator, DEFAULT_RCT_EPSILON, RCT_DEFINITION } from '../spectral/rct';
import { SpectrumAccumulator, defaultSpectrumCutoff, SPECTRA_DEFINITION } from '../spectral/spectra';
import { binForReport } from '../../protocol/reportMaps';
import {
  OCCLUDED_FREQUENCY_DEFINITION, OccludedFrequencyAggregator, bandCount, occludedFrequency,
} from '../spectral/occludedFrequency';
import type { OccludedFrequencyImage } from '../report/sections';
import { AttackSuite, imagesDoneWithin, type BatchAttackResult, type SuiteBatch } from './attackSuite';
import type { AttacksSection } from './attackJob';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';
import { ofRowsPerCall, writeOfPreviews } from './ofPreviews';

export type DefenceName = 'post-averaging' | 'low-pass';

export interface AnalyseOptions {
  /** 'fast': a shorter suite and grids (the VS Code default for large models); 'full': the papers' figures. */
  preset: 'full' | 'fast';
  /** Attacks of the suite (null: the preset's suite, fixed-ε and minimal-ε). */
  attacks: AttackSpec[] | null;
  /** Post-averaging K and r (null: r chosen by the sweep). */
  K: number;
  radius: number | null;
  directions: 'random' | 'approx';
  /** Low-pass cutoff (null: chosen by the sweep). */
  cutoff: number | null;
  /** L∞ ε list in pixel units: the first is the fixed-ε attacks' ε, all of them form the ε sweep (null: 8/255 and its multiples). */
  epsilons: number[] | null;
  /** Folder for gallery PNGs and OF previews; none = no images. */
  outDir: string | null;
  /** Which defences (default both). */
  defences?: DefenceName[];
  /** Which frequency analyses (default all). */
  analyses?: { occludedFrequency: boolean; rct: boolean; spectra: boolean; sweeps: boolean };
  /** Images re-attacked adaptively and used for the ε sweep (default: full 200, fast 32). */
  adaptiveImages?: number;
  /** Images explained by Occluded Frequency (default: full 200, fast 32). */
  ofImages?: number;
  ofBaseline?: 'zero' | 'noise';
  /** Clean top-1 drop allowed when the sweep picks r or the cutoff (default 0.01 = 1 pp). */
  cleanDropTolerance?: number;
  criterion?: Criterion;
}

/** Radius grid as multiples of the paper-derived hint (model-input units). */
export const RADIUS_FACTORS = { full: [0.25, 0.5, 0.75, 1, 1.5, 2, 3], fast: [0.5, 1, 2] } as const;
export const K_GRID = { full: [1, 2, 5, 10, 15, 20], fast: [1, 5, 15] } as const;
export const EPSILON_FACTORS = [0.25, 0.5, 1, 2] as const;
const GALLERY_PER_ATTACK = 4;
const OF_PREVIEW_IMAGES = 3;

export function analyseSuite(preset: 'full' | 'fast', eps: number, budget: number): AttackSpec[] {
  const suite: AttackSpec[] = [
    { name: 'fgsm', params: { eps } },
    { name: 'pgd', params: { norm: 'linf', eps } },
    { name: 'pgd', params: { norm: 'linf', eps: budget, mode: 'minimal-eps', searchSteps: preset === 'fast' ? 6 : 10 } },
    { name: 'deepfool', params: {} },
  ];
  if (preset === 'full') {
    suite.splice(1, 0, { name: 'fgsm', params: { eps: budget, mode: 'minimal-eps' } });
    suite.push({ name: 'pgd', params: { norm: 'l2' } }, { name: 'cw', params: { steps: 100, searchSteps: 5 } }, { name: 'simba', params: { basis: 'dct' } });
  }
  return suite;
}

/** One post-averaging radius: a model drawing max(K grid) directions, tallies per K × attack. */
interface RadiusState { radius: number; model: PostAveragedModel; tallies: DefenceTally[][] }
interface CutoffState { cutoff: number; model: LowPassModel; tallies: DefenceTally[] }

export async function runAnalyseJob(req: JobRequest, opts: AnalyseOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const { config } = prepared;
  const p = config.preprocessing;
  const C = channelCount(p), H = p.height, W = p.width;
  const seed = config.seed;
  const criterion = opts.criterion ?? 'top1';
  const defences = new Set(opts.defences ?? ['post-averaging', 'low-pass']);
  const analyses = opts.analyses ?? { occludedFrequency: true, rct: true, spectra: true, sweeps: true };
  const tolerance = opts.cleanDropTolerance ?? 0.01;
  const fast = opts.preset === 'fast';
  const adaptiveLimit = opts.adaptiveImages ?? (fast ? 32 : 200);
  const ofLimit = opts.ofImages ?? (fast ? 32 : 200);
  checkPostAveraging(opts.K, opts.radius ?? 1);
  if (opts.cutoff !== null) checkCutoff(opts.cutoff, p);
  const epsilons = opts.epsilons ?? [8 / 255];
  if (epsilons.length === 0 || epsilons.some((e) => !(e > 0) || e > 1)) throw new EngineError('USAGE', `analyse: ε list [${epsilons.join(', ')}]: expected L∞ values in (0, 1] pixel units`);
  const epsGrid = epsilons.length > 1 ? [...epsilons].sort((a, b) => a - b) : EPSILON_FACTORS.map((f) => f * epsilons[0]).filter((e) => e <= 1);
  const attacks = opts.attacks ?? analyseSuite(opts.preset, epsilons[0], Math.max(...epsGrid));
  const classNames = config.classNames ?? data.dataset.classNames;
  const classifier = await Classifier.open(config, prepared.info);
  const sections: ReportV1['sections'] = {};
  const section = (name: string, value: unknown) => { sections[name] = value; hooks.onSection?.(name, value); };
  const notes: string[] = [];
  const warnings: string[] = [];
  const seeds: Record<string, number> = {};
  const disposers: (() => Promise<void>)[] = [];
  let partial = false;
  const progress = (stage: string, done: number, total: number) => hooks.onProgress?.({ stage, done, total });
  const signalOpt = hooks.signal ? { signal: hooks.signal } : {};
  try {
    // ---- clean evaluation ----
    const t0 = performance.now();
    const clean = await evaluateClean(classifier, data.samples, { classNames, ...signalOpt, onProgress: (q) => progress('clean evaluation', q.done, q.total) });
    prepared.timings.cleanEval = (performance.now() - t0) / 1000;
    const { failed, ...cleanRest } = clean;
    const skipped = failed;
    section('clean', { kind: 'clean', ...cleanRest } satisfies CleanSection);
    // Cancelled during the clean evaluation: nothing after it would rest on the full sample, so stop here.
    if (clean.partial || hooks.signal?.aborted) {
      return buildReport({ command: 'analyse', prepared, data, classifier, status: 'partial', skippedImages: skipped, sections, seeds, warnings });
    }
    const outputKind = classifier.outputKind?.kind ?? 'logits';
    const classes = classifier.numClasses ?? classNames.length;

    // ---- gradient graph (white-box attacks, adaptive attacks, approx directions) ----
    let builder: ClassifierGradientBuilder | null = null;
    let gradientUnavailable: string | null = null;
    try {
      builder = await gradientBuilderFor(prepared, outputKind, classes);
    } catch (e) {
      if (!isEngineError(e) || e.code !== 'MODEL_UNSUPPORTED') throw e;
      gradientUnavailable = e.message;
      warnings.push(`the model's input gradient is unavailable (${e.message}): only black-box attacks ran, and adaptive numbers are missing`);
    }
    const suiteSpecs = builder ? attacks : attacks.filter((a) => !WHITE_BOX.has(a.name));
    if (suiteSpecs.length === 0) suiteSpecs.push({ name: 'simba', params: { basis: 'dct' } });
    const suite = new AttackSuite(prepared, classifier, classNames, { attacks: suiteSpecs, criterion, target: null, gradient: 'analytic', gallery: opts.outDir ? GALLERY_PER_ATTACK : 0, outDir: opts.outDir }, hooks.signal);
    disposers.push(() => suite.dispose());
    suite.start(builder);
    Object.assign(seeds, suite.seeds());
    const refs: DefenceAttackRef[] = suite.attacks.map((a, i) => ({
      label: a.label, mode: a.mode, norm: attackNorm(a.params), criterion, seed: suite.seedOf(i),
    }));

    // ---- defences of the sweeps ----
    const rt = config.runtime;
    const sessionOpts = { executionProvider: rt.executionProvider, threads: rt.threads, label: prepared.model.path };
    let sampler: DirectionSampler | null = null;
    if (defences.has('post-averaging')) {
      if (opts.directions === 'approx') {
        if (!builder) throw new EngineError('MODEL_UNSUPPORTED', `post-averaging "approx" directions need the model's gradient, which is unavailable: ${gradientUnavailable}`, { hint: 'use --directions random' });
        const s = await ReluHyperplaneSampler.open(builder, p, sessionOpts);
        disposers.push(() => s.dispose());
        sampler = s;
      } else sampler = randomDirections(p);
    }
    const dimension = C * H * W;
    const hint = radiusHint(dimension);
    const radii = opts.radius !== null ? [opts.radius] : RADIUS_FACTORS[opts.preset].map((f) => roundTo(f * hint, 3));
    const Ks = [...new Set([...(analyses.sweeps ? K_GRID[opts.preset] : []), opts.K])].sort((a, b) => a - b);
    const paSeed = seed + 7919;
    seeds.postAveraging = paSeed;
    const radiusStates: RadiusState[] = sampler ? radii.map((radius, i) => ({
      radius,
      model: new PostAveragedModel(classifier, { K: Math.max(...Ks), radius, sampler: sampler!, rng: new Rng(paSeed + i) }),
      tallies: Ks.map(() => refs.map(() => new DefenceTally(criterion))),
    })) : [];
    const maxK = maxCutoff(H, W);
    const cutoffs = defences.has('low-pass') ? cutoffGrid(maxK, opts.cutoff, analyses.sweeps) : [];
    const cutoffStates: CutoffState[] = cutoffs.map((cutoff) => ({ cutoff, model: new LowPassModel(classifier, cutoff), tallies: refs.map(() => new DefenceTally(criterion)) }));

    // ---- frequency lens accumulators ----
    const spectrumCutoff = defaultSpectrumCutoff(H, W);
    const rct = analyses.rct ? refs.map(() => new RctAccumulator(C, H, W, DEFAULT_RCT_EPSILON)) : [];
    const spectra = analyses.spectra ? refs.map(() => new SpectrumAccumulator(C, H, W, spectrumCutoff)) : [];
    const bands = bandCount(H, W);
    const ofAgg = new OccludedFrequencyAggregator(bands, classes);
    const ofImages: OccludedFrequencyImage[] = [];
    const ofSeed = seed + 104729;
    seeds.occludedFrequency = ofSeed;
    const ofBaseline = opts.ofBaseline ?? 'zero';
    const ofRng = new Rng(ofSeed);
    const scoreOn = outputKind === 'probabilities' ? 'log-probabilities' : 'logits';

    // ---- pass 1 ----
    const times = { attacks: 0, defences: 0, frequency: 0 };
    let done = 0;
    const total = data.samples.length;
    const pass1 = 'attacks, defences and frequency analyses';
    progress(pass1, 0, total);
    try {
      for await (const batch of streamPixelBatches(data.samples, pixelSpecFor(p), classifier.batchSize, signalOpt)) {
        const count = batch.samples.length;
        const before = done;
        done += count + batch.failed.length;
        if (count === 0) continue;
        let t = performance.now();
        const scores = await classifier.scores(batch.pixels, count);
        // the batch's parts: each attack, then the defences and frequency analyses together
        const sb = await suite.runBatch(batch.samples, batch.pixels, scores, (finished) => progress(pass1, imagesDoneWithin(before, count, finished, suite.attacks.length + 1), total));
        times.attacks += (performance.now() - t) / 1000;
        t = performance.now();
        await tallyDefences(sb, radiusStates, Ks, cutoffStates);
        times.defences += (performance.now() - t) / 1000;
        t = performance.now();
        accumulateSpectral(sb, rct, spectra, classifier.pixelsPerSample);
        if (analyses.occludedFrequency && ofImages.length < ofLimit) {
          const n = Math.min(count, ofLimit - ofImages.length);
          const per = classifier.pixelsPerSample;
          const results = await occludedFrequency(batch.pixels.subarray(0, n * per), n, [C, H, W], (x, m) => classifier.scores(x, m), {
            baseline: ofBaseline, scoreOn, maxBatch: ofRowsPerCall(classifier.batchSize, bands, classifier.pixelsPerSample), rng: ofRng, ...signalOpt,
          });
          results.forEach((r, i) => {
            const s = batch.samples[i];
            ofAgg.add(s.label, r.scores, r.flips);
            const img: OccludedFrequencyImage = { relPath: s.relPath, label: s.label, predicted: r.predicted, cleanLogit: r.cleanLogit, scores: r.scores, flips: r.flips };
            if (opts.outDir && ofImages.length < OF_PREVIEW_IMAGES) img.previews = writeOfPreviews(opts.outDir, String(ofImages.length).padStart(2, '0'), batch.pixels.subarray(i * per, (i + 1) * per), [C, H, W], r.scores, ofBaseline, ofSeed + ofImages.length);
            ofImages.push(img);
          });
        }
        times.frequency += (performance.now() - t) / 1000;
        progress(pass1, done, total);
        if (hooks.signal?.aborted) { partial = true; break; }
      }
    } catch (e) {
      if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
      partial = true;
    }
    prepared.timings.attacks = times.attacks;
    prepared.timings.defences = times.defences;
    prepared.timings.frequency = times.frequency;
    section('attacks', { kind: 'attacks', criterion, gradient: 'analytic', notes: builder?.notes ?? [], runs: suite.summaries() } satisfies AttacksSection);
    if (analyses.occludedFrequency && ofAgg.count > 0) {
      section('occludedFrequency', {
        kind: 'occluded-frequency', bands, baseline: ofBaseline, definition: OCCLUDED_FREQUENCY_DEFINITION, seed: ofBaseline === 'noise' ? ofSeed : null, scoreOn,
        models: [{ model: prepared.model.path, images: ofImages, perClass: ofAgg.perClass(), mean: ofAgg.mean(), flipRate: ofAgg.flipRate() }],
      } satisfies OccludedFrequencySection);
    }
    if (rct.length) {
      section('rct', {
        kind: 'rct', epsilon: DEFAULT_RCT_EPSILON, definition: RCT_DEFINITION,
        maps: refs.map((r, a) => ({ attack: r.label, mode: r.mode, count: rct[a].count, map: binForReport(rct[a].result()) })).filter((m) => m.count > 0),
      } satisfies RctSection);
    }
    if (spectra.length) {
      section('spectra', {
        kind: 'spectra', cutoff: spectrumCutoff, definition: SPECTRA_DEFINITION,
        entries: refs.map((r, a) => {
          const e = spectra[a].result();
          return { attack: r.label, mode: r.mode, ...e, perturbationSpectrum: binForReport(e.perturbationSpectrum), logSpectrumDifference: binForReport(e.logSpectrumDifference) };
        }).filter((e) => e.count > 0),
      } satisfies SpectraSection);
    }

    // ---- choose parameters, non-adaptive rows ----
    const kIndex = Ks.indexOf(opts.K);
    const results: DefenceResult[] = [];
    const sweeps: Sweep[] = [];
    let paChoice: { value: number; index: number; reason: string } | null = null;
    let lpChoice: { value: number; index: number; reason: string } | null = null;
    if (radiusStates.length) {
      paChoice = opts.radius !== null
        ? { value: opts.radius, index: 0, reason: 'r given by the user' }
        : chooseParameter(radii, radiusStates.map((s) => s.tallies[kIndex]), tolerance);
      const chosen = radiusStates[paChoice.index];
      results.push({
        defence: { kind: 'post-averaging', params: { K: opts.K, radius: paChoice.value, radiusPixels: radiusInPixels(paChoice.value, p), radiusSpace: 'model-input', directions: opts.directions, points: pointsPerImage(opts.K), seed: paSeed + paChoice.index } },
        chosenBy: paChoice.reason, rows: chosen.tallies[kIndex].map((t, a) => t.row(refs[a])), cost: null,
      });
      if (analyses.sweeps) {
        if (radii.length > 1) sweeps.push(sweepOf('defence-rate-vs-radius', 'Post-averaging: defence rate vs radius r', 'r (model-input units)', radii, refs, (a, i) => radiusStates[i].tallies[kIndex][a].defenceRate, { K: opts.K, directions: opts.directions, seed: paSeed, radiusHint: roundTo(hint, 4) }));
        if (Ks.length > 1) sweeps.push(sweepOf('defence-rate-vs-K', 'Post-averaging: defence rate vs K', 'K (directions)', Ks, refs, (a, i) => chosen.tallies[i][a].defenceRate, { radius: paChoice.value, directions: opts.directions, seed: paSeed + paChoice.index }));
      }
    }
    if (cutoffStates.length) {
      const candidates = opts.cutoff !== null ? [cutoffs.indexOf(opts.cutoff)] : cutoffs.map((_, i) => i);
      const pick = chooseParameter(candidates.map((i) => cutoffs[i]), candidates.map((i) => cutoffStates[i].tallies), tolerance);
      lpChoice = opts.cutoff !== null ? { value: opts.cutoff, index: candidates[0], reason: 'cutoff given by the user' } : { ...pick, index: candidates[pick.index] };
      const chosen = cutoffStates[lpChoice.index];
      results.push({
        defence: { kind: 'low-pass', params: { cutoff: lpChoice.value, maxCutoff: maxK } },
        chosenBy: lpChoice.reason, rows: chosen.tallies.map((t, a) => t.row(refs[a])), cost: null,
      });
      if (analyses.sweeps && cutoffs.length > 1) {
        const first = cutoffStates[0].tallies[0];
        sweeps.push({
          id: 'accuracy-vs-cutoff', title: 'Low-pass filter: accuracy vs cutoff', xLabel: 'cutoff k', yLabel: 'top-1 accuracy', x: cutoffs,
          series: [
            { name: 'clean', attack: null, mode: 'clean', y: cutoffStates.map((s) => s.tallies[0].defendedCleanTop1) },
            ...refs.map((r, a) => ({ name: `attacked: ${r.label}`, attack: r.label, mode: r.mode, y: cutoffStates.map((s) => s.tallies[a].row(r).defended.attacked.top1) })),
          ],
          fixed: { undefendedCleanTop1: first.originalCleanTop1, maxCutoff: maxK },
        });
      }
    }
    section('defences', { kind: 'defences', results, notes } satisfies DefencesSection);

    // ---- pass 2: adaptive attacks, ε sweep, cost ----
    if (!partial && results.length) {
      const pass2 = await adaptivePass({
        prepared, data, classifier, builder, suite, refs, criterion, opts, sampler, paChoice, lpChoice, epsGrid, adaptiveLimit, hooks,
        cleanCorrect: new Set(clean.predictions.filter((q) => (criterion === 'top1' ? q.predicted === q.label : q.top5.includes(q.label))).map((q) => q.relPath)),
        sessionOpts, seed, H, W, analyses,
      }).catch((e) => {
        if (isEngineError(e) && e.code === 'CANCELLED') { partial = true; return null; }
        throw e;
      });
      if (pass2) {
        results.forEach((r) => {
          const a = pass2.adaptive.get(r.defence.kind);
          if (a) r.rows.forEach((row, i) => { row.adaptive = a[i]; });
          const cost = pass2.cost.get(r.defence.kind);
          if (cost) r.cost = cost;
        });
        sweeps.push(...pass2.sweeps);
        Object.assign(seeds, pass2.seeds);
        prepared.timings.adaptive = pass2.seconds;
      }
      if (gradientUnavailable) notes.push(`adaptive attacks need the model's gradient, which is unavailable: ${gradientUnavailable}`);
      section('defences', { kind: 'defences', results, notes } satisfies DefencesSection);
    }
    if (analyses.sweeps && sweeps.length) section('sweeps', { kind: 'sweeps', sweeps } satisfies SweepsSection);
    return buildReport({ command: 'analyse', prepared, data, classifier, status: partial ? 'partial' : 'complete', skippedImages: skipped, sections, seeds, warnings });
  } finally {
    for (const d of disposers.reverse()) await d();
    await classifier.dispose();
  }
}

function roundTo(v: number, digits: number): number {
  const f = 10 ** Math.max(0, digits - Math.ceil(Math.log10(Math.abs(v) + 1e-300)));
  return Math.round(v * f) / f;
}

/** All cutoffs 1…max when max ≤ 32, else ~32 values (every one up to 16, then geometric) — plus the user's. */
export function cutoffGrid(max: number, given: number | null, sweep: boolean): number[] {
  if (!sweep) return given !== null ? [given] : [...new Set([1, 2, 4, 8, 16, max].filter((k) => k <= max))];
  const grid = new Set<number>();
  if (max <= 32) for (let k = 1; k <= max; k++) grid.add(k);
  else {
    for (let k = 1; k <= 16; k++) grid.add(k);
    for (let i = 0; i <= 16; i++) grid.add(Math.round(16 * (max / 16) ** (i / 16)));
  }
  if (given !== null) grid.add(given);
  return [...grid].filter((k) => k >= 1 && k <= max).sort((a, b) => a - b);
}

function sweepOf(id: Sweep['id'], title: string, xLabel: string, x: number[], refs: DefenceAttackRef[], y: (attack: number, i: number) => number | null, fixed: Record<string, number | string>): Sweep {
  return { id, title, xLabel, yLabel: 'defence rate', x, series: refs.map((r, a) => ({ name: r.label, attack: r.label, mode: r.mode, y: x.map((_, i) => y(a, i)) })), fixed };
}

/**
 * Successful adversarial examples of every attack of a batch, stacked, with per-attack index maps (batch
 * image → row, −1 where not in #Adv) and the undefended model's scores of each row (computed by the suite).
 */
interface StackedAdversarial { pixels: Float32Array; labels: number[]; maps: number[][]; scores: Float32Array }

function stackAdversarial(sb: SuiteBatch, per: number): StackedAdversarial {
  const rows: Float32Array[] = [];
  const rowScores: Float32Array[] = [];
  const labels: number[] = [];
  const maps = sb.attacks.map((r) => {
    const map = new Array<number>(sb.count).fill(-1);
    r.attacked.forEach((i, k) => {
      if (!r.success[k]) return;
      map[i] = labels.length;
      rows.push(r.adversarial.subarray(k * per, (k + 1) * per));
      rowScores.push(r.scores.subarray(k * sb.classes, (k + 1) * sb.classes));
      labels.push(sb.labels[i]);
    });
    return map;
  });
  const pixels = new Float32Array(rows.length * per);
  rows.forEach((r, j) => pixels.set(r, j * per));
  const scores = new Float32Array(rowScores.length * sb.classes);
  rowScores.forEach((r, j) => scores.set(r, j * sb.classes));
  return { pixels, labels, maps, scores };
}

async function tallyDefences(sb: SuiteBatch, radii: RadiusState[], Ks: number[], cutoffs: CutoffState[]): Promise<void> {
  if (!radii.length && !cutoffs.length) return;
  const per = sb.pixels.length / sb.count;
  const adv = stackAdversarial(sb, per);
  const clean = correctness(sb.cleanScores, sb.labels);
  const advOrig = correctness(adv.scores, adv.labels);
  const both = new Float32Array(sb.pixels.length + adv.pixels.length);
  both.set(sb.pixels);
  both.set(adv.pixels, sb.pixels.length);
  const labels = [...sb.labels, ...adv.labels];
  const split = (c: { top1: boolean[]; top5: boolean[] }) => ({
    clean: { top1: c.top1.slice(0, sb.count), top5: c.top5.slice(0, sb.count) },
    adv: { top1: c.top1.slice(sb.count), top5: c.top5.slice(sb.count) },
  });
  for (const r of radii) {
    const sums = await r.model.probabilitySums(both, labels.length, Ks);
    sums.forEach((s, ki) => {
      const d = split(correctness(s, labels));
      r.tallies[ki].forEach((t, a) => t.add(clean, d.clean, adv.maps[a], advOrig, d.adv));
    });
  }
  for (const c of cutoffs) {
    const d = split(correctness(await c.model.scores(both, labels.length), labels));
    c.tallies.forEach((t, a) => t.add(clean, d.clean, adv.maps[a], advOrig, d.adv));
  }
}

function accumulateSpectral(sb: SuiteBatch, rct: RctAccumulator[], spectra: SpectrumAccumulator[], per: number): void {
  if (!rct.length && !spectra.length) return;
  sb.attacks.forEach((r: BatchAttackResult, a) => {
    r.attacked.forEach((i, k) => {
      if (!r.success[k]) return;
      const x = sb.pixels.subarray(i * per, (i + 1) * per);
      const xa = r.adversarial.subarray(k * per, (k + 1) * per);
      rct[a]?.add(x, xa);
      spectra[a]?.add(x, xa);
    });
  });
}

interface AdaptivePassInput {
  prepared: Parameters<typeof buildReport>[0]['prepared'];
  data: Awaited<ReturnType<typeof prepareData>>;
  classifier: Classifier;
  builder: ClassifierGradientBuilder | null;
  suite: AttackSuite;
  refs: DefenceAttackRef[];
  criterion: Criterion;
  opts: AnalyseOptions;
  sampler: DirectionSampler | null;
  paChoice: { value: number; index: number } | null;
  lpChoice: { value: number; index: number } | null;
  epsGrid: number[];
  adaptiveLimit: number;
  hooks: JobHooks;
  cleanCorrect: Set<string>;
  sessionOpts: SessionOptions & { label: string };
  seed: number;
  H: number;
  W: number;
  analyses: NonNullable<AnalyseOptions['analyses']>;
}

type AdaptiveRow = NonNullable<DefenceResult['rows'][number]['adaptive']>;

/**
 * Pass 2 over the first `adaptiveLimit` correctly classified images: the suite again (same seeds as pass 1
 * would give for these images only — budgets are re-derived here, so nothing from pass 1 must be kept), then
 * per defence and attack the adaptive attack on the images the attack broke; the ε sweep with PGD-10 L∞;
 * and the defended inference cost.
 */
async function adaptivePass(o: AdaptivePassInput): Promise<{ adaptive: Map<DefenceName, AdaptiveRow[]>; sweeps: Sweep[]; cost: Map<DefenceName, NonNullable<DefenceResult['cost']>>; seeds: Record<string, number>; seconds: number }> {
  const t0 = performance.now();
  const { classifier, prepared, suite, refs, criterion } = o;
  const p = prepared.config.preprocessing;
  const samples = o.data.samples.filter((s) => o.cleanCorrect.has(s.relPath)).slice(0, o.adaptiveLimit);
  const per = classifier.pixelsPerSample;
  const seeds: Record<string, number> = {};
  const defended: { kind: DefenceName; model: PostAveragedModel | LowPassModel; gradient: GradientSource | null }[] = [];
  const disposers: (() => Promise<void>)[] = [];
  try {
    const ceGradient = o.builder ? await GradientModel.open(o.builder, { kind: 'cross-entropy' }, { ...o.sessionOpts, maxBatch: classifier.batchSize }) : null;
    if (ceGradient) disposers.push(() => ceGradient.dispose());
    if (o.paChoice && o.sampler) {
      const K = o.opts.K;
      seeds.postAveragingAdaptive = o.seed + 15485863;
      const model = new PostAveragedModel(classifier, { K, radius: o.paChoice.value, sampler: o.sampler, rng: new Rng(o.seed + 15485863) });
      const gradient = ceGradient ? new EotGradient(ceGradient, { K, radius: o.paChoice.value, sampler: o.sampler, rng: new Rng(o.seed + 15485867), baseKind: classifier.outputKind?.kind ?? 'logits' }) : null;
      defended.push({ kind: 'post-averaging', model, gradient });
    }
    if (o.lpChoice) {
      const c = o.lpChoice.value;
      let gradient: GradientSource | null = null;
      if (o.builder) {
        const lpBuilder = await gradientBuilderFor(prepared, classifier.outputKind?.kind ?? 'logits', classifier.numClasses ?? undefined, { rows: lowPassMatrix(o.H, c), cols: lowPassMatrix(o.W, c) });
        const g = await GradientModel.open(lpBuilder, { kind: 'cross-entropy' }, { ...o.sessionOpts, maxBatch: classifier.batchSize });
        disposers.push(() => g.dispose());
        gradient = g;
      }
      defended.push({ kind: 'low-pass', model: new LowPassModel(classifier, c), gradient });
    }
    // Adaptive tallies: per defence × attack.
    const rescued: AdaptiveTally[][] = defended.map(() => refs.map(() => ({ adv: 0, rescued: 0, rescuedNonAdaptive: 0, attackedTop1: 0, attackedTop5: 0, seconds: 0 })));
    const epsTallies = defended.map(() => o.epsGrid.map(() => new DefenceTally(criterion)));
    const costs = defended.map(() => ({ plain: 0, defended: 0, images: 0 }));
    const pgdSeed = o.seed + 32452843;
    seeds.epsilonSweep = pgdSeed;
    const pass2Suite = new AttackSuite(prepared, classifier, suite.classNames, { ...suite.options, gallery: 0, outDir: null }, o.hooks.signal);
    disposers.push(() => pass2Suite.dispose());
    pass2Suite.start(o.builder);
    const epsSuite = o.builder && o.analyses.sweeps ? new AttackSuite(prepared, classifier, suite.classNames, { attacks: o.epsGrid.map((eps) => ({ name: 'pgd' as const, params: { norm: 'linf', eps } })), criterion, target: null, gradient: 'analytic', gallery: 0, outDir: null }, o.hooks.signal) : null;
    if (epsSuite) { disposers.push(() => epsSuite.dispose()); epsSuite.start(o.builder); }
    let done = 0;
    let batchNo = 0;
    const pass2 = 'adaptive attacks and ε sweep';
    const progress = (n: number) => o.hooks.onProgress?.({ stage: pass2, done: n, total: samples.length });
    // the batch's parts: the suite's attacks, the ε sweep, then each defence's adaptive attacks
    const parts = pass2Suite.attacks.length + 1 + defended.length;
    progress(0);
    for await (const batch of streamPixelBatches(samples, pixelSpecFor(p), classifier.batchSize, o.hooks.signal ? { signal: o.hooks.signal } : {})) {
      const count = batch.samples.length;
      const before = done;
      done += count + batch.failed.length;
      if (count === 0) continue;
      const scores = await classifier.scores(batch.pixels, count);
      const sb = await pass2Suite.runBatch(batch.samples, batch.pixels, scores, (finished) => progress(imagesDoneWithin(before, count, finished, parts)));
      const clean = correctness(scores, sb.labels);
      // Cost: one timed plain pass per batch against each defence's pass on the same clean images.
      const t = performance.now();
      await classifier.scores(batch.pixels, count);
      const plainMs = performance.now() - t;
      // The ε sweep's attacks run once per batch; every defence classifies the same examples.
      const epsAdv = epsSuite ? stackAdversarial(await epsSuite.runBatch(batch.samples, batch.pixels, scores), per) : null;
      const epsOrig = epsAdv ? correctness(epsAdv.scores, epsAdv.labels) : null;
      for (let d = 0; d < defended.length; d++) {
        progress(imagesDoneWithin(before, count, pass2Suite.attacks.length + 1 + d, parts));
        const def = defended[d];
        const td = performance.now();
        const defClean = correctness(await def.model.scores(batch.pixels, count), sb.labels);
        costs[d].defended += performance.now() - td;
        costs[d].plain += plainMs;
        costs[d].images += count;
        if (epsAdv && epsOrig) {
          const defAdv = correctness(epsAdv.labels.length ? await def.model.scores(epsAdv.pixels, epsAdv.labels.length) : new Float32Array(0), epsAdv.labels);
          epsTallies[d].forEach((tally, e) => tally.add(clean, defClean, epsAdv.maps[e], epsOrig, defAdv));
        }
        if (!def.gradient) continue;
        for (let a = 0; a < refs.length; a++) {
          const seedA = o.seed + 49979687 + 1009 * a + 7 * batchNo + d;
          await attackAdaptively(def.model, def.gradient, suite.attacks[a], sb.attacks[a], batch.pixels, sb.labels, per, criterion, seedA, rescued[d][a], o.hooks.signal);
        }
      }
      batchNo++;
      progress(done);
    }
    const adaptive = new Map<DefenceName, AdaptiveRow[]>();
    defended.forEach((def, d) => {
      if (!def.gradient) return;
      adaptive.set(def.kind, refs.map((ref, a) => {
        const t = rescued[d][a];
        return {
          label: adaptiveLabel(def.kind, ref.norm), defenceRate: t.adv ? t.rescued / t.adv : null,
          attacked: { top1: t.adv ? t.attackedTop1 / t.adv : 0, top5: t.adv ? t.attackedTop5 / t.adv : 0 },
          seed: o.seed + 49979687 + 1009 * a, seconds: t.seconds, images: t.adv, nonAdaptiveDefenceRate: t.adv ? t.rescuedNonAdaptive / t.adv : null,
        };
      }));
    });
    const sweeps: Sweep[] = [];
    if (epsSuite) {
      sweeps.push({
        id: 'defence-rate-vs-epsilon', title: 'Defence rate vs attack ε (PGD-10 L∞, fixed ε)', xLabel: 'ε (pixel units)', yLabel: 'defence rate', x: o.epsGrid,
        series: defended.map((def, d) => ({ name: def.kind, attack: 'PGD-10 L∞', mode: 'fixed-eps' as const, y: epsTallies[d].map((t) => t.defenceRate) })),
        fixed: { images: samples.length, epsilons: o.epsGrid.map((e) => formatEpsilon(e, 'linf')).join(' '), seed: pgdSeed },
      });
    }
    const cost = new Map<DefenceName, NonNullable<DefenceResult['cost']>>();
    defended.forEach((def, d) => {
      const c = costs[d];
      if (!c.images) return;
      cost.set(def.kind, { relativeCost: c.defended / c.plain, plainImagesPerSecond: (1000 * c.images) / c.plain, defendedImagesPerSecond: (1000 * c.images) / c.defended, batchSize: classifier.batchSize });
    });
    return { adaptive, sweeps, cost, seeds, seconds: (performance.now() - t0) / 1000 };
  } finally {
    for (const d of disposers.reverse()) await d();
  }
}

interface AdaptiveTally { adv: number; rescued: number; rescuedNonAdaptive: number; attackedTop1: number; attackedTop5: number; seconds: number }

/**
 * Re-attacks the images one attack broke, adaptively against a defence, with the same per-image budget, and
 * counts into `t` how many the defence still gets right. The adaptive attacker keeps whichever of its own
 * and the non-adaptive example fools the defence: with a minimal budget (DeepFool, C&W) ten PGD steps may
 * not reach the boundary the minimal attack found.
 */
async function attackAdaptively(model: ScoreModel, gradient: GradientSource, attack: Attack, r: BatchAttackResult, pixels: Float32Array, batchLabels: number[], per: number, criterion: Criterion, seed: number, t: AdaptiveTally, signal?: AbortSignal): Promise<void> {
  const ks = r.attacked.map((_, k) => k).filter((k) => r.success[k]);
  if (!ks.length) return;
  const budgets = ks.map((k) => adaptiveBudget(attack, r, k));
  const x = new Float32Array(ks.length * per);
  const nonAdaptive = new Float32Array(ks.length * per);
  ks.forEach((k, j) => {
    x.set(pixels.subarray(r.attacked[k] * per, (r.attacked[k] + 1) * per), j * per);
    nonAdaptive.set(r.adversarial.subarray(k * per, (k + 1) * per), j * per);
  });
  const labels = ks.map((k) => batchLabels[r.attacked[k]]);
  const before = correctness(await model.scores(nonAdaptive, ks.length), labels);
  const t0 = performance.now();
  const res = await adaptivePgd(model, gradient, x, labels, budgets[0].norm, Float64Array.from(budgets, (b) => b.eps), criterion, seed, signal);
  // An attack cut short by a cancel is weaker than the one asked for: its count would flatter the defence.
  if (signal?.aborted) throw new EngineError('CANCELLED', 'cancelled during an adaptive attack; the interrupted batch is not counted');
  const after = correctness(await model.scores(res.adversarial, ks.length), labels);
  const top1 = after.top1.map((v, j) => v && before.top1[j]);
  const top5 = after.top5.map((v, j) => v && before.top5[j]);
  t.seconds += (performance.now() - t0) / 1000;
  t.adv += ks.length;
  t.rescued += (criterion === 'top1' ? top1 : top5).filter(Boolean).length;
  t.rescuedNonAdaptive += (criterion === 'top1' ? before.top1 : before.top5).filter(Boolean).length;
  t.attackedTop1 += top1.filter(Boolean).length;
  t.attackedTop5 += top5.filter(Boolean).length;
}
