/**
 * The one check that every node input names a tensor something provides: a graph input, an initializer
 * or a node's output, in the node's own graph or (for If/Loop/Scan bodies) an enclosing one. loadModel
 * runs it, so `info`, `eval` and every other command reject such a model alike, naming the node and the
 * tensor, instead of describing it and leaving onnxruntime to refuse it later.
 */
import { EngineError } from '../errors';
import type { GraphProto, NodeProto } from './onnxProto';

/** Throws MODEL_INVALID for the first node input (in graph order, subgraphs after their node) that nothing provides. */
export function checkNodeInputsProvided(graph: GraphProto, file: string): void {
  checkGraph(graph, new Set(), file, '');
}

function checkGraph(graph: GraphProto, outer: ReadonlySet<string>, file: string, where: string): void {
  // Order within the graph is not checked (onnxruntime sorts nodes itself); existence is.
  const provided = new Set(outer);
  for (const v of graph.input) provided.add(v.name);
  for (const t of graph.initializer) provided.add(t.name);
  for (const n of graph.node) for (const o of n.output) if (o) provided.add(o);
  graph.node.forEach((node, index) => {
    for (const input of node.input) {
      if (input && !provided.has(input)) throw danglingInput(node, index, input, file, where);
    }
    for (const a of node.attribute) {
      const inner = `${where}in attribute ${a.name} of node ${nodeLabel(node, index)}: `;
      if (a.g) checkGraph(a.g, provided, file, inner);
      for (const g of a.graphs ?? []) checkGraph(g, provided, file, inner);
    }
  });
}

const nodeLabel = (node: NodeProto, index: number) =>
  `"${node.name || `#${index}`}" (${node.domain ? `${node.domain}:` : ''}${node.opType})`;

function danglingInput(node: NodeProto, index: number, input: string, file: string, where: string): EngineError {
  return new EngineError(
    'MODEL_INVALID',
    `${file}: ${where}node ${nodeLabel(node, index)} reads '${input}', which is neither a graph input, an initializer nor the output of a node (a missing initializer?)`,
    {
      file,
      node: node.name || `#${index}`,
      op: node.opType,
      expected: 'every node input produced by a graph input, an initializer or a node',
    },
  );
}
