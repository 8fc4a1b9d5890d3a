/**
 * Reverse-mode differentiation of an ONNX graph into more ONNX nodes: walk the nodes between the input
 * and the seeded outputs in reverse topological order, let each op's gradient module emit the nodes for
 * its input gradients, and sum contributions where a tensor feeds several consumers.
 */
import { EngineError } from '../errors';
import { SHAPE_ONLY_OPS, type GraphIndex } from './graphIndex';
import type { NodeView } from './nodeView';
import { gradientFor, ZERO_GRADIENT_OPS } from './registry';
import type { GradContext, OpGradient } from './types';

/** Finds the gradient module of a node: the registry, or (in tests only) one with a deliberately wrong op. */
export type GradientLookup = (node: NodeView) => OpGradient | undefined;

export interface BackwardRequest {
  index: GraphIndex;
  /** The tensor to differentiate with respect to. */
  wrt: string;
  /** Gradients already emitted for some tensors (e.g. ∂loss/∂logits). */
  seeds: { tensor: string; grad: string }[];
  ctx: GradContext;
  /** Label of the model in error messages. */
  modelLabel: string;
  /** Default: the registry (gradientFor). */
  gradients?: GradientLookup;
}

export interface GradientPath {
  /** Nodes between `wrt` and the targets through which gradient flows, in topological order. */
  nodes: NodeView[];
  /** Tensors that depend differentiably on `wrt`. */
  differentiable: Set<string>;
}

const FLOAT_TYPES = new Set([1, 10, 11, 16]); // float, float16, double, bfloat16

/** A node whose outputs carry no gradient although its inputs may (comparisons, argmax, casts to integers…). */
function blocksGradient(n: NodeView): boolean {
  if (ZERO_GRADIENT_OPS.has(n.opType) || SHAPE_ONLY_OPS.has(n.opType)) return true;
  return n.opType === 'Cast' && n.has('to') && !FLOAT_TYPES.has(n.int('to'));
}

/**
 * Finds the nodes that carry gradient from `wrt` to the targets. A target that depends on `wrt` only
 * through gradient-blocking nodes has no useful gradient: that is reported with the blocking node.
 */
export function gradientPath(index: GraphIndex, wrt: string, targets: string[], modelLabel: string): GradientPath {
  const differentiable = new Set<string>([wrt]);
  for (const n of index.nodes) {
    if (!blocksGradient(n) && n.inputs.some((i) => i && differentiable.has(i))) for (const o of n.outputs) if (o) differentiable.add(o);
  }
  const dependent = index.dependentOn(wrt);
  for (const t of targets) {
    if (differentiable.has(t) || !dependent.has(t)) continue;
    const blocking = index.ancestorNodes(t).filter((n) => blocksGradient(n) && n.inputs.some((i) => i && differentiable.has(i)));
    const b = blocking[0];
    throw new EngineError(
      'MODEL_UNSUPPORTED',
      `${modelLabel}: no useful gradient: node "${b.name}" (${b.opType}) on the path from the input to "${t}" has a zero gradient almost everywhere${
        blocking.length > 1
          ? ` (also ${blocking
              .slice(1, 4)
              .map((n) => `"${n.name}" (${n.opType})`)
              .join(', ')})`
          : ''
      }`,
      {
        file: modelLabel,
        node: b.name,
        op: b.opType,
        hint: 'gradient-based attacks would see a flat loss; use a black-box attack (SimBA) or the estimated-gradient fallback',
      },
    );
  }
  const ancestors = new Set(targets.flatMap((t) => index.ancestorNodes(t)));
  const nodes = index.nodes.filter((n) => ancestors.has(n) && !blocksGradient(n) && n.inputs.some((i) => i && differentiable.has(i)));
  return { nodes, differentiable };
}

/**
 * Checks, before any computation, that every op on the gradient path has a gradient module: one error
 * lists every op type without one, with node names.
 */
export function assertDifferentiable(nodes: NodeView[], modelLabel: string, gradients: GradientLookup = gradientFor): void {
  const missing = new Map<string, string[]>();
  for (const n of nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType;
    if (!gradients(n)) missing.set(key, [...(missing.get(key) ?? []), n.name]);
  }
  if (missing.size > 0) {
    const list = [...missing].map(
      ([op, names]) =>
        `${op} (${names.length} node${names.length > 1 ? 's' : ''}: ${names
          .slice(0, 5)
          .map((s) => `"${s}"`)
          .join(', ')}${names.length > 5 ? ', …' : ''})`,
    );
    throw new EngineError(
      'MODEL_UNSUPPORTED',
      `${modelLabel}: no gradient for ${missing.size} op type${missing.size > 1 ? 's' : ''} on the path from the input to the logits: ${list.join('; ')}`,
      {
        file: modelLabel,
        op: [...missing.keys()].join(','),
        hint: 'white-box attacks need input gradients; use a black-box attack (SimBA) or the estimated-gradient fallback, which only runs the model forward',
      },
    );
  }
}

/** Emits the backward pass; returns the name of ∂(seeded loss)/∂wrt. */
export function buildBackward(req: BackwardRequest): string {
  const { index, wrt, seeds, ctx, gradients = gradientFor } = req;
  const { nodes, differentiable } = gradientPath(
    index,
    wrt,
    seeds.map((s) => s.tensor),
    req.modelLabel,
  );
  assertDifferentiable(nodes, req.modelLabel, gradients);
  const contributions = new Map<string, string[]>();
  const add = (tensor: string, grad: string) => contributions.set(tensor, [...(contributions.get(tensor) ?? []), grad]);
  for (const s of seeds) add(s.tensor, s.grad);
  const total = (tensor: string): string => {
    const parts = contributions.get(tensor);
    if (!parts || parts.length === 0) return '';
    const summed = ctx.e.sum(parts);
    contributions.set(tensor, [summed]);
    return summed;
  };

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    const dy = node.outputs.map((o) => (o ? total(o) : ''));
    if (dy.every((d) => d === '')) continue;
    const needs = node.inputs.map((i) => i !== '' && differentiable.has(i));
    const grads = gradients(node)!.gradient({ node, dy, needs, ctx });
    needs.forEach((need, i) => {
      if (!need) return;
      if (!grads[i]) node.fail(`gradient module returned no gradient for input ${i} ("${node.inputs[i]}")`);
      add(node.inputs[i], grads[i]);
    });
  }
  const result = total(wrt);
  if (!result) {
    throw new EngineError('MODEL_UNSUPPORTED', `${req.modelLabel}: the outputs do not depend on input "${wrt}"`, { file: req.modelLabel });
  }
  return result;
}
