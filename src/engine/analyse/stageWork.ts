/**
 * An analyse run's work per progress stage (counted by passCounts.ts from the plan) and what it costs at a
 * timing probe's per-image speeds. No imports: the extension host prices the work with it.
 */

/** The progress stages of an analyse run, as the engine names them in its progress messages. */
export const ANALYSE_STAGES = {
  clean: 'clean evaluation',
  passOne: 'attacks, defences and frequency analyses',
  passTwo: 'adaptive attacks and ε sweep',
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

export function stageSeconds(w: StageWork, cost: PassCosts): number {
  return w.images * (w.perImage.forward * cost.forwardSeconds + w.perImage.gradient * cost.gradientSeconds);
}

/** Seconds the whole work takes at these costs. */
export function workSeconds(work: readonly StageWork[], cost: PassCosts): number {
  return work.reduce((s, w) => s + stageSeconds(w, cost), 0);
}
