/**
 * What the gradient model builder will refuse or get wrong, found statically (no onnxruntime) for `info`
 * and the model view: ops without a gradient and ops with a zero gradient on the path from the image input
 * to the scores, training-mode Dropout (random, no gradient), probability outputs (gradients through a
 * saturated softmax vanish). The builder itself throws the same findings as errors, one at a time.
 */
import { EngineError, isEngineError } from '../errors';
import type { ModelProto, TensorProto } from '../onnx/onnxProto';
import { AttributeType } from '../onnx/onnxProto';
import { tensorToFloat32 } from '../onnx/tensorData';
import type { ModelDiagnostic, ModelInfo } from '../onnx/modelInfo';
import { gradientPath } from './backward';
import { GraphIndex } from './graphIndex';
import type { NodeView } from './nodeView';
import { gradientFor } from './registry';

const BLACK_BOX_HINT =
  'white-box attacks need input gradients; use a black-box attack (SimBA) or the estimated-gradient fallback (--gradient estimated), which only run the model forward';

export function gradientPathDiagnostics(model: ModelProto, info: ModelInfo): ModelDiagnostic[] {
  const out: ModelDiagnostic[] = [];
  if (info.output.kind === 'probabilities') {
    out.push({
      code: 'PROBABILITY_OUTPUT',
      message: `output '${info.output.name}' holds probabilities (${info.output.reason}): losses and gradients use log(max(p, 1e-12)), and where the softmax saturates its gradient vanishes, so gradient attacks understate the model's weakness (gradient masking)`,
      hint: 'export the logits (the graph without its final Softmax) for reliable gradient-based attacks',
    });
  }
  // Only one image input can be analysed without being told which; several already give a warning.
  if (info.imageInputs.length !== 1 || !info.output.name) return out;
  const index = new GraphIndex(model.graph);
  let nodes: NodeView[];
  try {
    nodes = gradientPath(index, info.imageInputs[0].name, [info.output.name], info.file).nodes;
  } catch (e) {
    if (!isEngineError(e) || e.code !== 'MODEL_UNSUPPORTED') throw e;
    return [
      ...out,
      { code: 'ZERO_GRADIENT', ...nodeOf(e), message: e.message.replace(`${info.file}: `, ''), hint: e.details.hint ?? BLACK_BOX_HINT },
    ];
  }
  const missing = new Map<string, NodeView[]>();
  for (const n of nodes) {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType;
    if (!gradientFor(n)) missing.set(op, [...(missing.get(op) ?? []), n]);
    else if (n.opType === 'Dropout') {
      const why = randomDropout(index, n);
      if (why)
        out.push({
          code: 'TRAINING_DROPOUT',
          node: n.name,
          op: n.opType,
          message: `Dropout node "${n.name}" ${why}: its output is random (every evaluation differs) and it has no gradient`,
          hint: 'export the model in eval mode (model.eval() before torch.onnx.export), or with training_mode false',
        });
    }
  }
  for (const [op, list] of missing) {
    out.push({
      code: 'NO_GRADIENT',
      node: list[0].name,
      op,
      message: `no gradient for ${op} (${list.length} node${list.length > 1 ? 's' : ''}: ${list
        .slice(0, 5)
        .map((n) => `"${n.name}"`)
        .join(
          ', ',
        )}${list.length > 5 ? ', …' : ''}) on the path from the input to the scores: white-box attacks and gradcheck will refuse this model (analyse runs only its black-box attacks)`,
      hint: BLACK_BOX_HINT,
    });
  }
  return out;
}

function nodeOf(e: EngineError): { node?: string; op?: string } {
  return { ...(e.details.node ? { node: e.details.node } : {}), ...(e.details.op ? { op: e.details.op } : {}) };
}

/**
 * Why a Dropout node is random, or undefined when it is an identity: training_mode absent or constant false,
 * or a constant ratio of 0 (opset ≥ 12 inputs: data, ratio = 0.5 by default, training_mode).
 */
function randomDropout(index: GraphIndex, n: NodeView): string | undefined {
  const training = n.input(2);
  if (!training) return undefined;
  const mode = staticValue(index, training);
  if (mode && mode.every((v) => v === 0)) return undefined;
  const ratio = n.input(1) ? staticValue(index, n.input(1)) : Float32Array.of(0.5);
  if (ratio && ratio.every((v) => v === 0)) return undefined;
  const ratioText = ratio ? `ratio ${ratio[0]}` : `a ratio computed in the graph ("${n.input(1)}")`;
  return mode
    ? `runs in training mode with ${ratioText}`
    : `takes its training mode from "${training}", which is not a constant, with ${ratioText}`;
}

/** The value of an initializer or Constant node output; undefined when it is computed. */
function staticValue(index: GraphIndex, name: string): Float32Array | undefined {
  const init = index.initializers.get(name);
  if (init) return values(init);
  const p = index.producer.get(name);
  if (p?.opType !== 'Constant') return undefined;
  const a = p.proto.attribute[0];
  if (a?.type === AttributeType.TENSOR && a.t) return values(a.t);
  if (a?.name === 'value_float') return Float32Array.of(a.f ?? 0);
  if (a?.name === 'value_int') return Float32Array.of(Number(a.i ?? 0));
  return undefined;
}

function values(t: TensorProto): Float32Array | undefined {
  try {
    return tensorToFloat32(t);
  } catch {
    return undefined;
  }
}
