/** Builds the AttackContext an attack run sees: classifier, cached gradient sources, criterion, RNG. */
import { EngineError } from '../errors';
import type { GradientSource } from '../grad/estimatedGradient';
import { DEFAULT_ESTIMATE, EstimatedGradient } from '../grad/estimatedGradient';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import { GradientModel } from '../grad/gradientModel';
import type { LossHead } from '../grad/lossHeads';
import type { ScoreModel } from '../runtime/scoreModel';
import type { SessionOptions } from '../runtime/modelSession';
import { Rng } from '../util/random';
import { channelCount } from '../data/pixels';
import { countingGradient, countingModel, type CostCounter } from './costCounter';
import { adversarialMask } from './criteria';
import type { AttackContext, Criterion } from './types';

export type GradientChoice = 'analytic' | 'estimated';

export interface GradientProvider {
  readonly choice: GradientChoice;
  get(head: LossHead): Promise<GradientSource>;
  dispose(): Promise<void>;
}

/**
 * Gradient sources per head, built on first use and kept for the run. `builder` is null when the model's
 * gradient graph could not be built; then only 'estimated' works.
 */
export function gradientProvider(
  classifier: ScoreModel,
  builder: ClassifierGradientBuilder | null,
  choice: GradientChoice,
  session: SessionOptions & { maxBatch: number; label: string },
  seed: number,
  unavailable?: string,
): GradientProvider {
  const cache = new Map<string, Promise<GradientSource>>();
  return {
    choice,
    get(head) {
      const key = JSON.stringify(head);
      let source = cache.get(key);
      if (!source) {
        if (choice === 'estimated') source = Promise.resolve(new EstimatedGradient(classifier, head, { ...DEFAULT_ESTIMATE, seed }));
        else if (!builder) {
          throw new EngineError(
            'MODEL_UNSUPPORTED',
            `white-box attacks need the model's input gradient, which is unavailable${unavailable ? `: ${unavailable}` : ''}`,
            {
              hint: 'use a black-box attack (--attack simba) or the estimated-gradient fallback (--gradient estimated)',
            },
          );
        } else source = GradientModel.open(builder, head, session);
        cache.set(key, source);
      }
      return source;
    },
    async dispose() {
      for (const s of cache.values()) await (await s).dispose();
      cache.clear();
    },
  };
}

export function attackContext(
  classifier: ScoreModel,
  gradients: Pick<GradientProvider, 'get'>,
  criterion: Criterion,
  seed: number,
  signal?: AbortSignal,
  range: [number, number] = [0, 1],
  /** Counts the attack's forward and gradient passes (the attack suite gives each attack its own). */
  counter?: CostCounter,
): AttackContext {
  return {
    classifier: counter ? countingModel(classifier, counter) : classifier,
    gradient: counter ? async (head) => countingGradient(await gradients.get(head), counter) : (head) => gradients.get(head),
    range,
    criterion,
    rng: new Rng(seed),
    ...(signal ? { signal } : {}),
    isAdversarial: (scores, labels, targets) => adversarialMask(scores, labels, targets, criterion),
    pixelsPerImage: classifier.pixelsPerSample,
    numClasses: classifier.numClasses ?? 0,
  };
}

/**
 * The image shape a black-box attack searches over (channels × height × width of the model's input), checked
 * against the batch's pixels per image: a mismatch is a usage error naming the attack.
 */
export function attackImageShape(ctx: Pick<AttackContext, 'classifier' | 'pixelsPerImage'>, attack: string) {
  const pre = ctx.classifier.preprocessing;
  const shape = { channels: channelCount(pre), height: pre.height, width: pre.width };
  if (shape.channels * shape.height * shape.width !== ctx.pixelsPerImage)
    throw new EngineError(
      'USAGE',
      `${attack}: images of ${ctx.pixelsPerImage} values do not match the model's ${shape.channels}×${shape.height}×${shape.width} input`,
    );
  return shape;
}
