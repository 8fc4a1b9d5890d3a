/**
 * Running a classifier's gradient model: pixels (+ labels, κ or a cotangent) in; logits, per-sample loss
 * and ∂loss/∂pixels out, batched like every other model call.
 */
import { SMALL_IMAGE_PIXELS } from '../runtime/callSize';
import { encodeModel } from '../onnx/onnxProto';
import { MAX_PARALLEL_MODEL_BYTES } from '../runtime/sessionWorkers';
import { ModelSession, type BatchedInput, type SessionOptions } from '../runtime/modelSession';
import { EngineError } from '../errors';
import type { ClassifierGradientBuilder } from './classifierGradient';
import { OUTPUTS, PIXELS } from './classifierGradient';
import { HEAD_INPUTS, type LossHead } from './lossHeads';
import type { GradientSource } from './estimatedGradient';
import type { GradientLookup } from './backward';

export interface GradientInputs {
  /** Class index per sample: the true label (untargeted) or the target (targeted). */
  labels?: ArrayLike<number>;
  /** Target class per sample (targeted DLR: the loss also reads the true label). */
  targets?: ArrayLike<number>;
  /** C&W confidence κ ≥ 0. */
  kappa?: number;
  /** Cotangent on the logits, count × numClasses (vjp head). */
  cotangent?: Float32Array;
}

export interface GradientResult {
  logits: Float32Array;
  loss: Float32Array;
  grad: Float32Array;
}

export class GradientModel implements GradientSource {
  readonly kind = 'analytic' as const;

  private constructor(
    private readonly session: ModelSession,
    readonly head: LossHead,
    readonly sampleShape: number[],
    readonly numClasses: number,
    readonly maxBatch: number,
  ) {}

  static async open(
    builder: ClassifierGradientBuilder,
    head: LossHead,
    opts: SessionOptions & { maxBatch: number; label: string; gradients?: GradientLookup },
  ): Promise<GradientModel> {
    const model = builder.build(head, opts.gradients);
    const bytes = encodeModel(model);
    // A small convolutional model's gradient runs faster as one single-threaded session per thread, each on
    // its share of the batch (sessionWorkers.ts); a plain MLP is too cheap for the hand-over to pay, and a
    // large image's operators are large enough for onnxruntime's own threads: resnet18 at 224×224 ran 35–41 ms
    // per image with two workers and 36–37 ms with one 2-thread session, which held 0.6 GB less.
    const convolutional = model.graph.node.some((n) => n.opType === 'Conv');
    const small = builder.pixelShape.reduce((a, b) => a * b, 1) <= SMALL_IMAGE_PIXELS;
    const workers = opts.threads > 1 && convolutional && small && bytes.length <= MAX_PARALLEL_MODEL_BYTES ? opts.threads : 1;
    const session = await ModelSession.open(bytes, { ...opts, workers }, `${opts.label} (gradient model, ${head.kind})`);
    return new GradientModel(session, head, builder.pixelShape, builder.numClasses, opts.maxBatch);
  }

  get provider(): string {
    return this.session.provider;
  }

  /** Worker sessions sharing each batch (1: one in-process session). */
  get parallelWorkers(): number {
    return this.session.parallelWorkers;
  }

  async compute(pixels: Float32Array, count: number, extra: GradientInputs = {}): Promise<GradientResult> {
    const inputs: BatchedInput[] = [{ name: PIXELS, data: pixels, sampleShape: this.sampleShape }];
    if (this.head.kind !== 'vjp') {
      if (!extra.labels || extra.labels.length !== count) {
        throw new EngineError('USAGE', `gradient (${this.head.kind}): expected ${count} labels, got ${extra.labels?.length ?? 0}`);
      }
      inputs.push({ name: HEAD_INPUTS.label, data: this.classIndices(extra.labels), sampleShape: [] });
    }
    if (this.head.kind === 'dlr' && this.head.targeted) {
      if (!extra.targets || extra.targets.length !== count)
        throw new EngineError('USAGE', `gradient (targeted DLR): expected ${count} targets, got ${extra.targets?.length ?? 0}`);
      inputs.push({ name: HEAD_INPUTS.target, data: this.classIndices(extra.targets), sampleShape: [] });
    }
    if (this.head.kind === 'cw-margin') {
      inputs.push({ name: HEAD_INPUTS.kappa, data: Float32Array.of(extra.kappa ?? 0), sampleShape: [], batched: false });
    }
    if (this.head.kind === 'vjp') {
      if (!extra.cotangent || extra.cotangent.length !== count * this.numClasses) {
        throw new EngineError('USAGE', `gradient (vjp): expected a ${count}×${this.numClasses} cotangent`);
      }
      inputs.push({ name: HEAD_INPUTS.cotangent, data: extra.cotangent, sampleShape: [this.numClasses] });
    }
    const out = await this.session.runBatched(inputs, [OUTPUTS.logits, OUTPUTS.loss, OUTPUTS.grad], count, this.maxBatch);
    return { logits: out[OUTPUTS.logits].data, loss: out[OUTPUTS.loss].data, grad: out[OUTPUTS.grad].data };
  }

  private classIndices(values: ArrayLike<number>): BigInt64Array {
    return BigInt64Array.from(Array.from(values), (v) => {
      if (!Number.isInteger(v) || v < 0 || v >= this.numClasses)
        throw new EngineError('USAGE', `gradient: class ${v} is out of range 0…${this.numClasses - 1}`);
      return BigInt(v);
    });
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
