/**
 * The gradient model holds one default-domain opset, and the standard ops its gradients need come from
 * newer opsets (ScatterElements with reduction="add" needs 16). So the forward graph is re-expressed at
 * the gradient opset: ops whose form or meaning changed between the model's opset and ours are rewritten
 * into the newer form with the same results. Everything else keeps its node untouched.
 */
import { EngineError } from '../errors';
import { makeNode } from '../onnx/build';
import type { GraphProto, ModelProto, NodeProto } from '../onnx/onnxProto';
import { Emitter } from './emitter';
import { NodeView } from './nodeView';

/** Oldest opset we differentiate; the gradient opset is max(model opset, GRADIENT_MIN_OPSET). */
export const OLDEST_SUPPORTED_OPSET = 11;
export const GRADIENT_MIN_OPSET = 17;

export function defaultDomainOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return entry ? entry.version : 1;
}

export function gradientOpset(modelOpset: number): number {
  return Math.max(modelOpset, GRADIENT_MIN_OPSET);
}

/** Returns the graph's nodes rewritten for `target`, plus any constants the rewrites need. */
export function upgradeGraph(graph: GraphProto, from: number, target: number, label: string, taken: Set<string>): GraphProto {
  if (from < OLDEST_SUPPORTED_OPSET) {
    throw new EngineError(
      'MODEL_UNSUPPORTED',
      `${label}: opset ${from} is older than ${OLDEST_SUPPORTED_OPSET}; gradients are built for opsets ${OLDEST_SUPPORTED_OPSET} and newer`,
      {
        file: label,
        hint: 're-export the model with opset 11 or newer (e.g. torch.onnx.export(..., opset_version=17))',
      },
    );
  }
  if (from >= target) return graph;
  const e = new Emitter(target, taken, 'rl_upgrade');
  const nodes: NodeProto[] = [];
  graph.node.forEach((proto, index) => {
    const before = e.nodes.length;
    const kept = upgradeNode(new NodeView(proto, index), from, target, e);
    nodes.push(...e.nodes.splice(before));
    if (kept) nodes.push(kept);
  });
  return { ...graph, node: nodes, initializer: [...graph.initializer, ...e.initializers] };
}

/** Emits replacement nodes into `e` and returns null, or returns the node itself when it is unchanged. */
function upgradeNode(n: NodeView, from: number, target: number, e: Emitter): NodeProto | null {
  if (n.domain !== '' && n.domain !== 'ai.onnx') return n.proto;
  const withoutAttr = (name: string) => n.proto.attribute.filter((a) => a.name !== name);
  const axesToInput = (attr: string, inputIndex: number): NodeProto | null => {
    if (from >= 13 || target < 13 || !n.has(attr)) return n.proto;
    const inputs = [...n.inputs];
    while (inputs.length < inputIndex) inputs.push('');
    inputs[inputIndex] = e.int64(n.ints(attr));
    return { ...n.proto, input: inputs, attribute: withoutAttr(attr) };
  };
  switch (n.opType) {
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
      return axesToInput('axes', 1);
    case 'Split':
      return axesToInput('split', 1);
    case 'Dropout': {
      // Opset 12 moved `ratio` from an attribute to an input (inference ignores it either way).
      if (from >= 12 || target < 12 || !n.has('ratio')) return n.proto;
      return { ...n.proto, input: [n.input(0), e.float([n.float('ratio')], [])], attribute: withoutAttr('ratio') };
    }
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax': {
      if (from >= 13 || target < 13) return n.proto;
      // Before opset 13 the op flattened its input to 2-D at `axis` and normalised over the second dim.
      const axis = n.int('axis', 1);
      if (axis === -1) return n.proto;
      const flat = e.op('Flatten', [n.input(0)], { axis });
      const normed = e.op(n.opType, [flat], { axis: 1 });
      e.nodes.push(makeNode('Reshape', [normed, e.shapeOf(n.input(0))], [n.outputs[0]], {}, `${n.name}/upgraded`));
      return null;
    }
    default:
      return n.proto;
  }
}
