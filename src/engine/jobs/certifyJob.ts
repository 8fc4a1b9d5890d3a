/**
 * `certify`: randomized smoothing certification (src/engine/certify/) of every sampled image at each noise
 * level σ. Forward passes only; the noisy copies of one image go to the model in large batches. Images are
 * certified one after another (every σ for an image before the next image), so a cancel — honoured between
 * model calls — keeps each finished image with all its σ, and the report is marked partial.
 * With `attack`, each batch of certified images is then attacked at every σ (empiricalAttack.ts): the
 * smoothed classifier's empirical robust accuracy beside the certified accuracy. A cancel during a batch's
 * attack keeps its certificates; the attacked images are always the first ones of the section.
 */
import { performance } from 'node:perf_hooks';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import { certifySmoothed } from '../certify/smoothing';
import { attackSmoothed, SMOOTHED_ATTACKS } from '../certify/empiricalAttack';
import { gradientProvider, type GradientProvider } from '../attacks/context';
import { CostCounter } from '../attacks/costCounter';
import { gradientBuilderFor } from '../grad/forClassifier';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import { sessionOptionsFor } from '../runtime/modelSession';
import {
  certifiedAccuracyAt,
  empiricalProblem,
  radiusGrid,
  type EmpiricalAttackParams,
  type EmpiricalRun,
  type CertificationParams,
  type CertificationRun,
  type CertificationSection,
} from '../../protocol/certification';
import { streamPixelBatches } from '../data/batches';
import { channelCount } from '../data/pixels';
import { EngineError, errorText, isEngineError } from '../errors';
import { pixelSpecFor } from '../input/pixelSpec';
import { buildReport } from '../report/buildReport';
import { CleanPredictionTally, sanitySection, sanityWarnings } from './sanityCheck';
import type { ReportV1 } from '../report/schema';
import { Classifier } from '../runtime/classifier';
import { Rng } from '../util/random';
import { seedFor, seedRecord } from '../util/seeds';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';

export type CertifyOptions = JobOptionsByKind['certify'];

/** Bytes of noisy copies per model call when the batch size is not configured (1,000 MNIST copies ≈ 3 MB). */
const NOISE_BYTES = 64 * 1024 * 1024;
const MAX_DEFAULT_BATCH = 1000;

/** Noisy copies per model call: the configured batch size, or as many as fit NOISE_BYTES (up to 1,000). */
export function samplesPerCall(configured: number, fromDefault: boolean, pixelsPerImage: number): number {
  if (!fromDefault) return configured;
  return Math.max(configured, Math.min(MAX_DEFAULT_BATCH, Math.floor(NOISE_BYTES / (4 * pixelsPerImage))));
}

export async function runCertifyJob(req: JobRequest, opts: CertifyOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const { config } = prepared;
  const per = channelCount(config.preprocessing) * config.preprocessing.height * config.preprocessing.width;
  const batch = samplesPerCall(config.runtime.batchSize, config.provenance['runtime.batchSize'] === 'default', per);
  const classifier = await Classifier.open({ ...config, runtime: { ...config.runtime, batchSize: batch } }, prepared.info, prepared.model);
  const params: CertificationParams = {
    preset: opts.preset,
    n0: opts.n0,
    n: opts.n,
    alpha: opts.alpha,
    sigmas: [...opts.sigmas],
    noiseSpace: 'pixels',
    noiseNote:
      "Gaussian noise N(0, σ²I) added to the pixels in [0,1] before the model's scaling and mean/std, not clipped; radii are L2 in the same pixel units",
    samplesPerCall: batch,
  };
  const runs = opts.sigmas.map(() => ({
    prediction: [] as (number | null)[],
    nA: [] as number[],
    pALower: [] as number[],
    radius: [] as (number | null)[],
    correct: [] as boolean[],
    seconds: [] as number[],
  }));
  const images = { file: [] as string[], label: [] as number[] };
  const skipped: { relPath: string; error: string }[] = [];
  const radii = radiusGrid(opts.sigmas);
  const runSeed = config.seed;
  const attackOpts = opts.attack ?? null;
  const attackRadii = attackOpts ? [...new Set(attackOpts.radii)].sort((a, b) => a - b) : [];
  /** Per σ: per radius the robust flags and PREDICT's answers of the attacked images; cost. */
  const attacked = opts.sigmas.map(() => ({
    robust: attackRadii.map(() => [] as boolean[]),
    prediction: attackRadii.map(() => [] as (number | null)[]),
    counter: new CostCounter(),
    seconds: 0,
  }));
  let attackParams: EmpiricalAttackParams | null = null;
  let gradients: GradientProvider | null = null;
  const empirical = (
    s: number,
    run: Omit<CertificationRun, 'certifiedAccuracy' | 'abstentionRate' | 'seed' | 'totalSeconds' | 'sigma'>,
  ): EmpiricalRun => {
    const a = attacked[s];
    const count = a.robust[0]?.length ?? 0;
    const head = { radius: run.radius.slice(0, count), correct: run.correct.slice(0, count) };
    return {
      rows: attackRadii.map((r, k) => {
        let contradictions = 0,
          certifiedAbstained = 0;
        for (let i = 0; i < count; i++) {
          const radius = head.radius[i];
          if (!head.correct[i] || radius === null || radius < r || a.robust[k][i]) continue;
          if (a.prediction[k][i] === null) certifiedAbstained++;
          else contradictions++;
        }
        return {
          radius: r,
          attacked: count,
          robust: [...a.robust[k]],
          prediction: [...a.prediction[k]],
          empiricalAccuracy: count ? a.robust[k].filter(Boolean).length / count : 0,
          certifiedAccuracy: certifiedAccuracyAt(head, r),
          contradictions,
          certifiedAbstained,
        };
      }),
      seconds: a.seconds,
      gradientPasses: a.counter.gradient,
      forwardPasses: a.counter.forward,
      seed: seedFor(runSeed, 'certify/attack', s, 0),
    };
  };
  const section = (): CertificationSection => ({
    kind: 'certification',
    params,
    images: { file: [...images.file], label: [...images.label] },
    radii,
    runs: runs.map((r, s): CertificationRun => {
      const abstained = r.prediction.filter((p) => p === null).length;
      return {
        sigma: opts.sigmas[s],
        ...r,
        prediction: [...r.prediction],
        certifiedAccuracy: radii.map((radius) => certifiedAccuracyAt(r, radius)),
        abstentionRate: r.prediction.length ? abstained / r.prediction.length : 0,
        seed: seedFor(runSeed, 'certify/noise', s, 0),
        totalSeconds: r.seconds.reduce((a, b) => a + b, 0),
        ...(attackParams ? { empirical: empirical(s, r) } : {}),
      };
    }),
    ...(attackParams ? { attack: attackParams } : {}),
  });

  const total = data.samples.length;
  const perImage = opts.sigmas.length * (opts.n0 + opts.n);
  const stage = `certifying (${opts.sigmas.length} σ × ${opts.n0 + opts.n} samples per image)`;
  let partial = false;
  const started = performance.now();
  const cleanTally = new CleanPredictionTally();
  try {
    let index = 0,
      finished = 0;
    hooks.onProgress?.({ stage, done: 0, total, fraction: 0 });
    // A few images at a time: each image is certified on its own, in many model calls.
    for await (const imageBatch of streamPixelBatches(data.samples, pixelSpecFor(config.preprocessing), 8, {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    })) {
      for (const f of imageBatch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
      finished += imageBatch.failed.length;
      // The base classifier's clean predictions are checked as every run's are (class order, preprocessing).
      if (imageBatch.samples.length) {
        const cleanScores = await classifier.scores(imageBatch.pixels, imageBatch.samples.length);
        cleanTally.add(
          cleanScores,
          imageBatch.samples.map((x) => x.label),
          classifier.outputKind!.kind,
        );
        if (attackOpts && !gradients) {
          // The output kind is known now; a model without a gradient graph is attacked with NES estimates, labelled.
          let builder: ClassifierGradientBuilder | null = null;
          let unavailable: string | null = null;
          try {
            builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, cleanScores.length / imageBatch.samples.length);
          } catch (e) {
            if (!isEngineError(e) || e.code !== 'MODEL_UNSUPPORTED') throw e;
            unavailable = errorText(e);
          }
          gradients = gradientProvider(
            classifier,
            builder,
            builder ? 'analytic' : 'estimated',
            // The gradient graph holds activations: batches of the configured size, as the attack command's, not the noise batch.
            { ...sessionOptionsFor(config.runtime), maxBatch: config.runtime.batchSize, label: prepared.model.path },
            seedFor(runSeed, 'attacks/estimated-gradient'),
          );
          const classes = cleanScores.length / imageBatch.samples.length;
          attackParams = {
            attacks: [...SMOOTHED_ATTACKS],
            norm: 'l2',
            radii: attackRadii,
            steps: attackOpts.steps,
            restarts: 1,
            eotDraws: attackOpts.eotDraws,
            gradient: builder ? 'analytic' : 'estimated',
            note:
              `AutoAttack's rand version against the smoothed classifier: APGD-CE, then APGD-DLR on the images still robust, L2, ${attackOpts.steps} steps, 1 restart; ` +
              `every gradient call averages the loss gradient over ${attackOpts.eotDraws} fresh Gaussian draws N(0, σ²I) (EOT as AutoAttack's: the mean of the per-draw gradients, not SmoothAdv's gradient of the loss of the mean softmax; success is read from the mean softmax), images kept for every step. ` +
              `Each example is judged by PREDICT (n = ${opts.n}, α = ${opts.alpha}; abstaining counts as not robust); a clean PREDICT that is wrong or abstains is not robust at any radius, and an example found at a radius counts at every larger one.` +
              (classes < 3 ? ` With ${classes} classes APGD-DLR runs on the cross-entropy (DLR needs ≥ 3 classes).` : '') +
              (builder
                ? ''
                : ` The model has no gradient graph (${unavailable}): gradients are NES estimates from forward passes, so the attack is weaker and the upper bound looser.`),
          };
        }
      }
      const batchStart = images.file.length;
      const batchSampleIndex: number[] = [];
      for (let i = 0; i < imageBatch.samples.length; i++) {
        const sample = imageBatch.samples[i];
        const imageIndex = data.samples.indexOf(sample, index);
        index = imageIndex + 1;
        const x = imageBatch.pixels.subarray(i * per, (i + 1) * per);
        let samplesDone = 0;
        const results = [];
        for (let s = 0; s < opts.sigmas.length; s++) {
          const t = performance.now();
          const result = await certifySmoothed(classifier, x, {
            n0: opts.n0,
            n: opts.n,
            alpha: opts.alpha,
            sigma: opts.sigmas[s],
            batch,
            rng: new Rng(seedFor(runSeed, 'certify/noise', s, imageIndex)),
            ...(hooks.signal ? { signal: hooks.signal } : {}),
            onSamples: (count) => {
              samplesDone += count;
              hooks.onProgress?.({ stage, done: finished, total, fraction: (finished + samplesDone / perImage) / total });
            },
          });
          results.push({ ...result, seconds: (performance.now() - t) / 1000 });
        }
        // Only now, with every σ done, does the image join the report.
        batchSampleIndex.push(imageIndex);
        images.file.push(sample.relPath);
        images.label.push(sample.label);
        results.forEach((r, s) => {
          runs[s].prediction.push(r.prediction);
          runs[s].nA.push(r.nA);
          runs[s].pALower.push(r.pALower);
          runs[s].radius.push(r.radius);
          runs[s].correct.push(r.prediction === sample.label);
          runs[s].seconds.push(r.seconds);
        });
        finished++;
        hooks.onProgress?.({ stage, done: finished, total, fraction: finished / total });
      }
      if (attackOpts && gradients && batchSampleIndex.length) {
        // Attack this batch's certified images at every σ; they join the empirical rows only when every σ is done.
        const x = imageBatch.pixels.subarray(0, imageBatch.samples.length * per);
        const labels = images.label.slice(batchStart);
        const results = [];
        for (let s = 0; s < opts.sigmas.length; s++) {
          hooks.onProgress?.({
            stage: `attacking the smoothed classifier at σ = ${opts.sigmas[s]} (${batchSampleIndex.length} images)`,
            done: finished,
            total,
            fraction: finished / total,
          });
          const t = performance.now();
          const first = batchSampleIndex[0];
          const r = await attackSmoothed(classifier, gradients, x, labels, {
            sigma: opts.sigmas[s],
            n: opts.n,
            alpha: opts.alpha,
            batch,
            radii: attackRadii,
            steps: attackOpts.steps,
            eotDraws: attackOpts.eotDraws,
            baseKind: classifier.outputKind!.kind,
            attackSeed: seedFor(runSeed, 'certify/attack', s, first),
            eotSeed: seedFor(runSeed, 'certify/attack/eot', s, first),
            predictSeed: (i) => seedFor(runSeed, 'certify/attack/predict', s, batchSampleIndex[i]),
            counter: attacked[s].counter,
            ...(hooks.signal ? { signal: hooks.signal } : {}),
          });
          attacked[s].seconds += (performance.now() - t) / 1000;
          if (hooks.signal?.aborted) throw new EngineError('CANCELLED', 'cancelled');
          results.push(r);
        }
        results.forEach((r, s) =>
          attackRadii.forEach((_, k) => {
            attacked[s].robust[k].push(...r.robust[k]);
            attacked[s].prediction[k].push(...r.prediction[k]);
          }),
        );
      }
      hooks.onSection?.('certification', section());
    }
  } catch (e) {
    if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
    partial = true;
  } finally {
    const attackSeconds = attacked.reduce((a, r) => a + r.seconds, 0);
    prepared.timings.certify = (performance.now() - started) / 1000 - attackSeconds;
    if (attackOpts) prepared.timings.empiricalAttack = attackSeconds;
  }
  try {
    const final = section();
    const problem = empiricalProblem(final);
    if (problem) throw new EngineError('RUNTIME', `certify: the empirical attack's rows are malformed: ${problem}`);
    hooks.onSection?.('certification', final);
    const evidence = cleanTally.evidence();
    const sanity = evidence.evaluated > 0 ? sanitySection(evidence, prepared, data, classifier) : null;
    if (sanity) hooks.onSection?.('sanity', sanity);
    return buildReport({
      command: 'certify',
      prepared,
      data,
      classifier,
      status: partial ? 'partial' : 'complete',
      skippedImages: skipped,
      sections: { certification: final, ...(sanity ? { sanity } : {}) },
      seeds: seedRecord(runSeed, 'certify/noise'),
      warnings: [...(sanity ? sanityWarnings(sanity) : []), ...contradictionWarnings(final)],
    });
  } finally {
    await gradients?.dispose();
    await classifier.dispose();
  }
}

/** One warning per σ and radius where the attack broke an image certified there (each has probability ≈ α). */
export function contradictionWarnings(s: CertificationSection): string[] {
  return s.runs.flatMap((run) =>
    (run.empirical?.rows ?? [])
      .filter((row) => row.contradictions > 0)
      .map(
        (row) =>
          `certify: at σ = ${run.sigma}, radius ${row.radius}, the empirical attack made PREDICT name another class on ${row.contradictions} of ${row.attacked} image(s) certified at that radius or more: each happens with probability about α = ${s.params.alpha}, so more than a rare one points to a bug or an unlucky draw`,
      ),
  );
}
