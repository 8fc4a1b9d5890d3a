/** Running a representation-loss model (representationLoss.ts): pixels + target rows in; g(x), ‖g(x) − t‖² and its pixel gradient out. */
import { encodeModel } from '../onnx/onnxProto';
import { MAX_PARALLEL_MODEL_BYTES } from '../runtime/sessionWorkers';
import { ModelSession, type SessionOptions } from '../runtime/modelSession';
import { EngineError } from '../errors';
import { PIXELS, type ClassifierGradientBuilder } from './classifierGradient';
import { REPRESENTATION_OUTPUTS, REPRESENTATION_TARGET, type RepresentationTensor } from './representationLoss';

export interface RepresentationResult {
  representation: Float32Array;
  loss: Float32Array;
  grad: Float32Array;
}

export class RepresentationModel {
  private constructor(
    private readonly session: ModelSession,
    readonly tensor: RepresentationTensor,
    readonly pixelShape: number[],
    readonly maxBatch: number,
  ) {}

  static async open(
    builder: ClassifierGradientBuilder,
    tensor: RepresentationTensor,
    opts: SessionOptions & { maxBatch: number; label: string },
  ): Promise<RepresentationModel> {
    const model = builder.buildRepresentationLoss(tensor);
    const bytes = encodeModel(model);
    // As the classifier's gradient model: a convolutional model's batch is shared among single-threaded sessions.
    const convolutional = model.graph.node.some((n) => n.opType === 'Conv');
    const workers = opts.threads > 1 && convolutional && bytes.length <= MAX_PARALLEL_MODEL_BYTES ? opts.threads : 1;
    const session = await ModelSession.open(bytes, { ...opts, workers }, `${opts.label} (representation "${tensor.name}")`);
    return new RepresentationModel(session, tensor, builder.pixelShape, opts.maxBatch);
  }

  /** `targets` holds count × tensor.size values (zeros when only g(x) is wanted: the loss is then ‖g(x)‖²). */
  async compute(pixels: Float32Array, count: number, targets: Float32Array): Promise<RepresentationResult> {
    if (targets.length !== count * this.tensor.size)
      throw new EngineError(
        'USAGE',
        `representation "${this.tensor.name}": expected ${count}×${this.tensor.size} target values, got ${targets.length}`,
      );
    const out = await this.session.runBatched(
      [
        { name: PIXELS, data: pixels, sampleShape: this.pixelShape },
        { name: REPRESENTATION_TARGET, data: targets, sampleShape: this.tensor.sampleShape },
      ],
      Object.values(REPRESENTATION_OUTPUTS),
      count,
      this.maxBatch,
    );
    // Copies: a single-chunk run may hand back onnxruntime's own output buffers.
    return {
      representation: out[REPRESENTATION_OUTPUTS.representation].data.slice(),
      loss: out[REPRESENTATION_OUTPUTS.loss].data.slice(),
      grad: out[REPRESENTATION_OUTPUTS.grad].data.slice(),
    };
  }

  get provider(): string {
    return this.session.provider;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
