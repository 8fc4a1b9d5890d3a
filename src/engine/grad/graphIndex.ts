/** Producers, consumers, topological order and input→output paths of a graph. */
import { EngineError } from '../errors';
import type { GraphProto, TensorProto } from '../onnx/onnxProto';
import { NodeView } from './nodeView';

/** Ops whose output depends on the input's shape only. */
export const SHAPE_ONLY_OPS = new Set(['Shape', 'Size']);

export class GraphIndex {
  readonly nodes: NodeView[];
  readonly producer = new Map<string, NodeView>();
  readonly consumers = new Map<string, NodeView[]>();
  readonly initializers = new Map<string, TensorProto>();

  constructor(readonly graph: GraphProto) {
    for (const t of graph.initializer) this.initializers.set(t.name, t);
    const views = graph.node.map((n, i) => new NodeView(n, i));
    for (const v of views) {
      for (const o of v.outputs) if (o) this.producer.set(o, v);
    }
    for (const v of views) {
      for (const i of v.inputs) {
        if (!i) continue;
        const list = this.consumers.get(i) ?? [];
        list.push(v);
        this.consumers.set(i, list);
      }
    }
    this.nodes = topologicalOrder(views, this.producer);
  }

  /**
   * Every tensor whose value depends on the values of `source` (source included). Shape and Size read
   * only the shape, so what is computed from them (e.g. PyTorch's `x.view(x.size(0), -1)`) is not included.
   */
  dependentOn(source: string): Set<string> {
    const dependent = new Set<string>([source]);
    for (const node of this.nodes) {
      if (SHAPE_ONLY_OPS.has(node.opType)) continue;
      if (node.inputs.some((i) => i && dependent.has(i))) for (const o of node.outputs) if (o) dependent.add(o);
    }
    return dependent;
  }

  /** Nodes that `target` depends on, in topological order. */
  ancestorNodes(target: string): NodeView[] {
    const needed = new Set<NodeView>();
    const stack = [target];
    const seen = new Set<string>();
    while (stack.length) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      const p = this.producer.get(t);
      if (!p || needed.has(p)) continue;
      needed.add(p);
      for (const i of p.inputs) if (i) stack.push(i);
    }
    return this.nodes.filter((n) => needed.has(n));
  }
}

function topologicalOrder(views: NodeView[], producer: Map<string, NodeView>): NodeView[] {
  const state = new Map<NodeView, 1 | 2>();
  const order: NodeView[] = [];
  for (const root of views) {
    if (state.has(root)) continue;
    // Iterative DFS: graphs can have thousands of nodes in a chain.
    const stack: [NodeView, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1]++;
        const p = node.inputs[i] ? producer.get(node.inputs[i]) : undefined;
        if (!p) continue;
        const s = state.get(p);
        if (s === 1) {
          throw new EngineError('MODEL_INVALID', `the graph has a cycle through node "${p.name}" (${p.opType})`, {
            node: p.name,
            op: p.opType,
          });
        }
        if (s === undefined) {
          state.set(p, 1);
          stack.push([p, 0]);
        }
      } else {
        stack.pop();
        state.set(node, 2);
        order.push(node);
      }
    }
  }
  return order;
}
