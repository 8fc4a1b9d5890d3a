/**
 * Cost counters of one attack run: the model calls an attack makes, counted where they happen — the
 * classifier's `scores` (forward passes) and the gradient sources' `compute` (gradient passes: one forward and
 * one backward through the gradient graph) — by wrapping both in the attack's context, so no attack counts
 * itself. Passes are counted per image (a call on a batch of n images is n passes).
 */
import type { GradientSource } from '../grad/estimatedGradient';
import type { ScoreModel } from '../runtime/scoreModel';

export interface PassCounts {
  /** Images run through the classifier by the attack itself. */
  forward: number;
  /** Images run through a gradient source (analytic graph, or the NES estimate, whose own forward passes are inside it). */
  gradient: number;
}

export class CostCounter implements PassCounts {
  forward = 0;
  gradient = 0;

  snapshot(): PassCounts {
    return { forward: this.forward, gradient: this.gradient };
  }
}

/** The model with every `scores` call counted as `count` forward passes. */
export function countingModel(model: ScoreModel, counter: CostCounter): ScoreModel {
  return {
    scores(pixels, count) {
      counter.forward += count;
      return model.scores(pixels, count);
    },
    get outputKind() {
      return model.outputKind;
    },
    get pixelsPerSample() {
      return model.pixelsPerSample;
    },
    get numClasses() {
      return model.numClasses;
    },
    get preprocessing() {
      return model.preprocessing;
    },
    get batchSize() {
      return model.batchSize;
    },
  };
}

/** The gradient source with every `compute` call counted as `count` gradient passes (dispose is the owner's). */
export function countingGradient(source: GradientSource, counter: CostCounter): GradientSource {
  return {
    kind: source.kind,
    head: source.head,
    compute(pixels, count, extra) {
      counter.gradient += count;
      return source.compute(pixels, count, extra);
    },
    dispose: () => source.dispose(),
  };
}
