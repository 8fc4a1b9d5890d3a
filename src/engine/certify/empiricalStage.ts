/**
 * The empirical attack on the smoothed classifier as a part of a certify run (empiricalAttack.ts does the attack):
 * it opens the gradient source once the clean scores give the output kind, attacks each batch of certified images
 * at every σ, and adds its rows to the certification section. Kept apart from the certification loop
 * (jobs/certifyJob.ts certifyImages), which analyse also calls without it.
 */
import { performance } from 'node:perf_hooks';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import { gradientProvider, type GradientProvider } from '../attacks/context';
import { CostCounter } from '../attacks/costCounter';
import { EngineError, errorText, isEngineError } from '../errors';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import { gradientBuilderFor } from '../grad/forClassifier';
import type { PreparedModel } from '../jobs/prepare';
import type { Classifier } from '../runtime/classifier';
import { sessionOptionsFor } from '../runtime/modelSession';
import { seedFor } from '../util/seeds';
import {
  certifiedAccuracyAt,
  type CertificationRun,
  type CertificationSection,
  type EmpiricalAttackParams,
  type EmpiricalRun,
} from '../../protocol/certification';
import { attackSmoothed, SMOOTHED_ATTACKS } from './empiricalAttack';
import type { JobHooks } from '../jobs/evalJob';

type CertifyOptions = JobOptionsByKind['certify'];

export interface EmpiricalStage {
  /** The first clean scores: opens the gradient source (analytic, else NES estimates, labelled). */
  prepare(cleanScores: Float32Array, count: number): Promise<void>;
  /** Attacks a batch's certified images at every σ; they join the rows only when every σ is done. */
  attackBatch(
    pixels: Float32Array,
    labels: number[],
    sampleIndex: number[],
    progress: { done: number; total: number },
    hooks: Pick<JobHooks, 'signal' | 'onProgress'>,
  ): Promise<void>;
  /** The section with each σ's empirical rows and the attack's parameters. */
  decorate(section: CertificationSection): CertificationSection;
  readonly seconds: number;
  dispose(): Promise<void>;
}

export function empiricalStage(
  attackOpts: NonNullable<CertifyOptions['attack']>,
  opts: CertifyOptions,
  ctx: { prepared: PreparedModel; classifier: Classifier; runSeed: number; batch: number },
): EmpiricalStage {
  const { prepared, classifier, runSeed, batch } = ctx;
  const radii = [...new Set(attackOpts.radii)].sort((a, b) => a - b);
  /** Per σ: per radius the robust flags and PREDICT's answers of the attacked images; cost. */
  const attacked = opts.sigmas.map(() => ({
    robust: radii.map(() => [] as boolean[]),
    prediction: radii.map(() => [] as (number | null)[]),
    counter: new CostCounter(),
    seconds: 0,
  }));
  let params: EmpiricalAttackParams | null = null;
  let gradients: GradientProvider | null = null;

  const empirical = (s: number, run: Pick<CertificationRun, 'radius' | 'correct'>): EmpiricalRun => {
    const a = attacked[s];
    const count = a.robust[0]?.length ?? 0;
    const head = { radius: run.radius.slice(0, count), correct: run.correct.slice(0, count) };
    return {
      rows: radii.map((r, k) => {
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

  return {
    get seconds() {
      return attacked.reduce((a, r) => a + r.seconds, 0);
    },
    async prepare(cleanScores, count) {
      if (gradients) return;
      let builder: ClassifierGradientBuilder | null = null;
      let unavailable: string | null = null;
      try {
        builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, cleanScores.length / count);
      } catch (e) {
        if (!isEngineError(e) || e.code !== 'MODEL_UNSUPPORTED') throw e;
        unavailable = errorText(e);
      }
      const config = prepared.config;
      gradients = gradientProvider(
        classifier,
        builder,
        builder ? 'analytic' : 'estimated',
        // The gradient graph holds activations: batches of the configured size, as the attack command's, not the noise batch.
        { ...sessionOptionsFor(config.runtime), maxBatch: config.runtime.batchSize, label: prepared.model.path },
        seedFor(runSeed, 'attacks/estimated-gradient'),
      );
      const classes = cleanScores.length / count;
      params = {
        attacks: [...SMOOTHED_ATTACKS],
        norm: 'l2',
        radii,
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
    },
    async attackBatch(pixels, labels, sampleIndex, progress, hooks) {
      if (!gradients || sampleIndex.length === 0) return;
      const results = [];
      for (let s = 0; s < opts.sigmas.length; s++) {
        hooks.onProgress?.({
          stage: `attacking the smoothed classifier at σ = ${opts.sigmas[s]} (${sampleIndex.length} images)`,
          done: progress.done,
          total: progress.total,
          fraction: progress.done / progress.total,
        });
        const t = performance.now();
        const r = await attackSmoothed(classifier, gradients, pixels, labels, {
          sigma: opts.sigmas[s],
          n: opts.n,
          alpha: opts.alpha,
          batch,
          radii,
          steps: attackOpts.steps,
          eotDraws: attackOpts.eotDraws,
          baseKind: classifier.outputKind!.kind,
          attackSeed: seedFor(runSeed, 'certify/attack', s, sampleIndex[0]),
          eotSeed: seedFor(runSeed, 'certify/attack/eot', s, sampleIndex[0]),
          predictSeed: (i) => seedFor(runSeed, 'certify/attack/predict', s, sampleIndex[i]),
          counter: attacked[s].counter,
          ...(hooks.signal ? { signal: hooks.signal } : {}),
        });
        attacked[s].seconds += (performance.now() - t) / 1000;
        if (hooks.signal?.aborted) throw new EngineError('CANCELLED', 'cancelled');
        results.push(r);
      }
      results.forEach((r, s) =>
        radii.forEach((_, k) => {
          attacked[s].robust[k].push(...r.robust[k]);
          attacked[s].prediction[k].push(...r.prediction[k]);
        }),
      );
    },
    decorate(section) {
      if (!params) return section;
      return { ...section, runs: section.runs.map((run, s) => ({ ...run, empirical: empirical(s, run) })), attack: params };
    },
    async dispose() {
      await gradients?.dispose();
    },
  };
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
