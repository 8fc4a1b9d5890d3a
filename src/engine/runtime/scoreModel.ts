/**
 * What attacks and evaluations need from a model: scores for planar [0,1] pixels. The plain `Classifier`
 * is one; a defended model (post-averaging, low-pass) is another, so the same attacks run against both.
 */
import type { Preprocessing } from '../config/runConfig';
import type { OutputKindDecision } from './classifier';

export interface ScoreModel {
  /** Raw outputs, count × numClasses (logits, or probabilities when `outputKind` says so). */
  scores(pixels: Float32Array, count: number): Promise<Float32Array>;
  readonly outputKind: OutputKindDecision | null;
  readonly pixelsPerSample: number;
  readonly numClasses: number | null;
  readonly preprocessing: Preprocessing;
  /** Images per inference call of the underlying session. */
  readonly batchSize: number;
}
