/**
 * The gradient model of a classifier: pixels (planar [N,C,H,W] in [0,1], the engine's pixel space) →
 * preprocessing inside the graph (scale, mean/std, layout) → the user's forward graph → logits → a loss
 * head → ∂loss/∂pixels. Outputs: logits, per-sample loss, gradient. Built once per model (opset upgrade
 * and shape probe), then once per head.
 */
import { makeValueInfo } from '../onnx/build';
import type { ModelProto, NodeProto } from '../onnx/onnxProto';
import type { Preprocessing } from '../config/runConfig';
import { channelCount } from '../data/pixels';
import { EngineError } from '../errors';
import type { OutputKind } from '../eval/scores';
import { buildBackward, type GradientLookup } from './backward';
import { Emitter } from './emitter';
import { ProbedGradContext } from './gradContext';
import { emitHead, type LossHead } from './lossHeads';
import { batchProbeFeeds } from './shapeProbe';
import { buildVjpModel, prepareForward, type PreparedForward, type VjpModel } from './vjpModel';
import { buildRepresentationLoss, resolveRepresentation, type RepresentationTensor } from './representationLoss';

export const PIXELS = 'rl.pixels';
export const OUTPUTS = { logits: 'rl.logits', loss: 'rl.loss', grad: 'rl.grad' } as const;

/** Probabilities are clamped before the log so that a saturated softmax still has a finite gradient. */
export const LOG_PROBABILITY_FLOOR = 1e-12;

export interface ClassifierGradientOptions {
  model: ModelProto;
  label: string;
  preprocessing: Preprocessing;
  outputName: string;
  outputKind: OutputKind;
  numClasses: number;
  fixedBatch: number | null;
  /** A linear filter applied to the pixels before preprocessing (the low-pass defence), differentiated exactly. */
  pixelFilter?: PixelFilter;
}

/** filtered = rows · x · colsᵀ per channel plane; rows is H×H, cols W×W, both row-major. */
export interface PixelFilter {
  rows: Float64Array;
  cols: Float64Array;
}

export class ClassifierGradientBuilder {
  private constructor(
    private readonly fwd: PreparedForward,
    private readonly logits: string,
    readonly numClasses: number,
    /** Per-sample shape of the pixel input: [C, H, W]. */
    readonly pixelShape: number[],
    /** Sentences for the report, e.g. that probabilities were turned into clamped log-probabilities. */
    readonly notes: string[],
    /** The model's fixed batch size, or null when the batch dim is free. */
    readonly fixedBatch: number | null,
  ) {}

  static async create(o: ClassifierGradientOptions): Promise<ClassifierGradientBuilder> {
    const p = o.preprocessing;
    const c = channelCount(p);
    const taken = new Set<string>([
      ...o.model.graph.node.flatMap((n) => n.output),
      ...o.model.graph.initializer.map((t) => t.name),
      ...o.model.graph.input.map((i) => i.name),
    ]);
    for (const reserved of [PIXELS, ...Object.values(OUTPUTS)]) {
      if (taken.has(reserved))
        throw new EngineError(
          'MODEL_UNSUPPORTED',
          `${o.label}: the model already has a tensor named "${reserved}", which Robustness Lens reserves`,
          { file: o.label },
        );
    }
    const e = new Emitter(17, taken, 'rl_pre');
    emitPreprocessing(e, p, c, o.pixelFilter);
    const notes: string[] = [];
    let logits = o.outputName;
    const post: NodeProto[] = [];
    if (o.outputKind === 'probabilities') {
      const before = e.nodes.length;
      const clipped = e.op('Clip', [o.outputName, e.scalar(LOG_PROBABILITY_FLOOR), e.scalar(1)]);
      logits = e.op('Log', [clipped]);
      post.push(...e.nodes.splice(before));
      notes.push(`the model outputs probabilities: losses and gradients use log(max(p, ${LOG_PROBABILITY_FLOOR})) in place of logits`);
    }
    const g = o.model.graph;
    const quantizers = g.node.filter((n) => n.opType === 'QuantizeLinear').length;
    if (quantizers > 0)
      notes.push(
        `estimated gradient (BPDA): the model quantizes activations (${quantizers} QuantizeLinear node${quantizers > 1 ? 's' : ''}), whose true gradient is zero almost everywhere; gradients pass straight through each quantizer inside its integer range (clipped straight-through estimate, as in quantization-aware training)`,
      );
    const combined: ModelProto = {
      ...o.model,
      graph: {
        ...g,
        input: [
          makeValueInfo(PIXELS, 'float32', [o.fixedBatch ?? 'N', c, p.height, p.width]),
          ...g.input.filter((i) => i.name !== p.inputName),
        ],
        node: [...e.nodes, ...g.node, ...post],
        initializer: [...g.initializer, ...e.initializers],
        output: [{ name: logits, docString: '', metadataProps: [] }],
      },
    };
    const fwd = await prepareForward(combined, [PIXELS], batchProbeFeeds(PIXELS, [c, p.height, p.width], o.fixedBatch), o.label, [logits]);
    return new ClassifierGradientBuilder(fwd, logits, o.numClasses, [c, p.height, p.width], notes, o.fixedBatch);
  }

  /**
   * The pre-activations of the ReLU units between the pixels and the logits (each Relu node's input), with
   * their per-sample shapes: the hyperplanes a_j(x) = 0 of post-averaging's "approx" directions.
   */
  reluPreActivations(): { name: string; sampleShape: number[] }[] {
    const dependent = this.fwd.index.dependentOn(PIXELS);
    const seen = new Set<string>();
    const out: { name: string; sampleShape: number[] }[] = [];
    for (const n of this.fwd.index.nodes) {
      const t = n.inputs[0];
      if (n.opType !== 'Relu' || !t || !dependent.has(t) || seen.has(t)) continue;
      const probed = this.fwd.probe.tensors.get(t);
      // Only [N, …] tensors: one set of units per image.
      if (!probed || !probed.batchDims[0] || probed.batchDims.slice(1).some(Boolean)) continue;
      seen.add(t);
      out.push({ name: t, sampleShape: probed.dims.slice(1) });
    }
    return out;
  }

  /** Inputs: pixels + one cotangent per tensor; outputs: the tensors, then ∂(Σ cotangent·tensor)/∂pixels. */
  buildTensorVjp(tensors: string[]): VjpModel {
    return buildVjpModel(this.fwd, [PIXELS], tensors);
  }

  /** The tensor `name` (null: the input of the last Gemm/MatMul), checked to be a differentiable [N, …] function of the pixels. */
  representation(name: string | null): RepresentationTensor {
    return resolveRepresentation(this.fwd, PIXELS, name, this.fixedBatch);
  }

  /** pixels + target → the representation, ‖g(x) − target‖² per sample and its pixel gradient (representationLoss.ts). */
  buildRepresentationLoss(rep: RepresentationTensor): ModelProto {
    return buildRepresentationLoss(this.fwd, PIXELS, rep, this.fixedBatch);
  }

  /** The gradient model for one loss head; `gradients` replaces the registry (tests inject a wrong op gradient with it). */
  build(head: LossHead, gradients?: GradientLookup): ModelProto {
    const e = new Emitter(this.fwd.opset, new Set(this.fwd.taken));
    const h = emitHead(head, e, this.logits, this.numClasses);
    const ctx = new ProbedGradContext(e, this.fwd.index, this.fwd.probe, PIXELS);
    const grad = buildBackward({
      index: this.fwd.index,
      wrt: PIXELS,
      seeds: [{ tensor: this.logits, grad: h.dLogits }],
      ctx,
      modelLabel: this.fwd.label,
      ...(gradients ? { gradients } : {}),
    });
    e.node('Identity', [this.logits], {}, [OUTPUTS.logits]);
    e.node('Identity', [h.loss], {}, [OUTPUTS.loss]);
    e.node('Identity', [grad], {}, [OUTPUTS.grad]);
    const g = this.fwd.model.graph;
    const out = (name: string) => ({ name, docString: '', metadataProps: [] });
    return {
      ...this.fwd.model,
      graph: {
        ...g,
        input: [...g.input, ...h.inputs],
        node: [...g.node, ...e.nodes],
        initializer: [...g.initializer, ...e.initializers],
        output: [out(OUTPUTS.logits), out(OUTPUTS.loss), out(OUTPUTS.grad)],
      },
    };
  }
}

/** pixels [N,C,H,W] in [0,1] → the model's input tensor, with the preprocessing's scale, mean/std and layout. */
function emitPreprocessing(e: Emitter, p: Preprocessing, c: number, filter?: PixelFilter): void {
  let x = PIXELS;
  if (filter) {
    const h = p.height,
      w = p.width;
    const colsT = new Float64Array(w * w);
    for (let i = 0; i < w; i++) for (let j = 0; j < w; j++) colsT[i * w + j] = filter.cols[j * w + i];
    x = e.op('MatMul', [e.float(Array.from(filter.rows), [h, h]), x]);
    x = e.op('MatMul', [x, e.float(Array.from(colsT), [w, w])]);
  }
  const a = Array.from({ length: c }, (_, ch) => p.pixelScale / (p.std ? p.std[ch] : 1));
  const b = Array.from({ length: c }, (_, ch) => -(p.mean ? p.mean[ch] : 0) / (p.std ? p.std[ch] : 1));
  if (a.some((v) => v !== 1)) x = e.op('Mul', [x, e.float(a, [1, c, 1, 1])]);
  if (b.some((v) => v !== 0)) x = e.op('Add', [x, e.float(b, [1, c, 1, 1])]);
  const target = p.inputName;
  switch (p.layout) {
    case 'NCHW':
      e.node('Identity', [x], {}, [target]);
      break;
    case 'NHWC':
      e.node('Transpose', [x], { perm: [0, 2, 3, 1] }, [target]);
      break;
    case 'NHW':
      e.node('Squeeze', [x, e.int64([1])], {}, [target]);
      break;
    case 'flat':
      e.node('Flatten', [x], { axis: 1 }, [target]);
      break;
  }
}
