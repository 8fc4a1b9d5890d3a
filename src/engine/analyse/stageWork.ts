/**
 * An analyse run's work per progress stage (counted by passCounts.ts from the plan), the timing probe's
 * section (jobs/estimateJob.ts), and what the work costs at the probe's per-image speeds. No imports that
 * run: the extension host prices the work with it.
 */
import type { AnalysePreset } from '../attacks/catalog';

/** The progress stages of an analyse run, as the engine names them in its progress messages. */
export const ANALYSE_STAGES = {
  clean: 'clean evaluation',
  passOne: 'attacks, defences and frequency analyses',
  /** Pass 2, part 1: over the adaptive images, the defended cost and the ε sweep. */
  passTwoSweep: 'defended cost and ε sweep',
  /** Pass 2, part 2: pass 1's batches again up to the last adaptive image, re-attacked adaptively. */
  passTwoAdaptive: 'adaptive attacks',
} as const;

/** Model passes per image: forward passes and input-gradient passes (each a forward and a backward). */
export interface Passes {
  forward: number;
  gradient: number;
}

export interface StageWork {
  /** The stage's name in progress messages (ANALYSE_STAGES). */
  stage: string;
  /** Images the stage's progress counts. */
  images: number;
  /** Passes per image of the stage. */
  perImage: Passes;
}

/** Seconds per forward pass and per input-gradient pass of one image, as a timing probe measured them. */
export interface PassCosts {
  forwardSeconds: number;
  gradientSeconds: number;
}

/**
 * What a defended pass costs over a plain one, as the timing probe measured it (probe.ts): a post-averaging
 * point (its directions drawn and its rows built in JavaScript, then the model), an EOT gradient point, and a
 * low-pass row (the image filtered by FFT in JavaScript, then the model). Counts of defended passes are
 * multiplied by these, so the work stays in plain-pass equivalents that the probe's two costs price.
 */
export interface DefendedPassFactors {
  postAveragingForward: number;
  postAveragingGradient: number;
  lowPassForward: number;
}

/** Defended passes priced as plain ones (no probe of the defences: reports made before it, tests). */
export const PLAIN_DEFENDED: DefendedPassFactors = { postAveragingForward: 1, postAveragingGradient: 1, lowPassForward: 1 };

export function stageSeconds(w: StageWork, cost: PassCosts): number {
  return w.images * (w.perImage.forward * cost.forwardSeconds + w.perImage.gradient * cost.gradientSeconds);
}

/** Seconds the whole work takes at these costs. */
export function workSeconds(work: readonly StageWork[], cost: PassCosts): number {
  return work.reduce((s, w) => s + stageSeconds(w, cost), 0);
}

export interface EstimateChoice {
  preset: AnalysePreset;
  /** Images the run would evaluate. */
  images: number;
  /** Whether this is every image the configuration gives (no smaller limit). */
  all: boolean;
  /** In plain-pass equivalents: defended passes counted at the probe's `defendedFactors`, so the two costs price them. */
  work: StageWork[];
}

export interface TimingProbeSection {
  kind: 'timing-probe';
  /** Images a run evaluates without a smaller limit (the configured limit applied). */
  available: number;
  /** Images each timed batch held. */
  probeImages: number;
  /** Top-1 accuracy on the probe's images: attacks run on correct images only, so the work counts it. */
  probeAccuracy: number;
  /** Seconds per image of a forward pass, and of an input-gradient pass (null: the gradient is unavailable). */
  forwardSeconds: number;
  gradientSeconds: number | null;
  /** Why the gradient could not be timed (null when it was). */
  gradientUnavailable: string | null;
  /** The defended passes' cost over plain ones (absent in older sections: priced as plain). */
  defendedFactors?: DefendedPassFactors;
  /** Seconds the probe took to get ready as a run does: model, configuration, dataset listing, sessions, gradient graph. */
  setupSeconds: number;
  choices: EstimateChoice[];
}

export const TIMING_PROBE_SECTION = 'timingProbe';
