/**
 * The contract between the attack driver and the attacks (one module each). Attacks work in the engine's
 * pixel space: planar [C,H,W] per image, values in the valid range `ctx.range` (default [0,1]); the
 * classifier applies the model's preprocessing itself.
 */
import type { GradientSource } from '../grad/estimatedGradient';
import type { LossHead } from '../grad/lossHeads';
import type { ScoreModel } from '../runtime/scoreModel';
import type { Rng } from '../util/random';

export type Norm = 'linf' | 'l2';
export type Criterion = 'top1' | 'top5';

/**
 * How the perturbation budget was used — every reported figure carries it:
 * fixed-eps (the attack may use all of ε), minimal-eps (smallest ε in the grid/search that succeeds, per
 * image), minimal-perturbation (DeepFool, C&W: unbounded, the attack itself minimises the norm),
 * query-limited (SimBA: a query budget, optionally an L∞ bound).
 */
export type AttackMode = 'fixed-eps' | 'minimal-eps' | 'minimal-perturbation' | 'query-limited';

export interface AttackBatch {
  /** count × pixelsPerImage, planar, inside ctx.range. Attacks must not modify it. */
  pixels: Float32Array;
  count: number;
  /** True class per image. */
  labels: number[];
  /** Target class per image for targeted attacks, else null. */
  targets: number[] | null;
}

export interface AttackOutcome {
  /** count × pixelsPerImage: the adversarial example, or the attack's last/best attempt where it failed. */
  adversarial: Float32Array;
  /** Model evaluations (forward or forward+backward passes) spent per image. */
  queries: Float64Array;
  /** Minimal-ε mode: the ε at which each image first broke (NaN where none did). */
  epsilon?: Float64Array;
}

export interface AttackContext {
  /** The model under attack: the plain classifier or a defended one. */
  classifier: ScoreModel;
  /** Gradient of a loss head w.r.t. pixels (analytic, or the NES estimate when the user chose it). Cached. */
  gradient(head: LossHead): Promise<GradientSource>;
  /** Valid pixel range: perturbed images are clipped to it. */
  range: [number, number];
  criterion: Criterion;
  /** Seeded; the driver creates one per attack run. */
  rng: Rng;
  signal?: AbortSignal;
  /** Whether each row of scores is adversarial under the criterion (and target, when targeted). */
  isAdversarial(scores: Float32Array, labels: number[], targets: number[] | null): boolean[];
  pixelsPerImage: number;
  numClasses: number;
}

export interface Attack {
  /** Display name with its parameters, e.g. "PGD-10 L∞ ε=8/255". */
  readonly label: string;
  readonly mode: AttackMode;
  /** The parameters as run (for the report). */
  readonly params: Record<string, unknown>;
  run(batch: AttackBatch, ctx: AttackContext): Promise<AttackOutcome>;
}
