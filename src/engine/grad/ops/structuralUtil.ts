/** Helpers shared by the structural gradient modules (normalisation, shape and reduction ops). */
import type { Emitter } from '../emitter';
import type { NodeView } from '../nodeView';
import type { GradContext } from '../types';
import { normAxis } from './common';

/** `x` reshaped to the runtime shape of `like` (allowzero: a 0 in that shape is a real 0). */
export function reshapeBack(e: Emitter, x: string, like: string): string {
  return e.op('Reshape', [x, e.shapeOf(like)], { allowzero: 1 });
}

/** [from, from+1, …, to-1]. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Whether axis `axis` of `name` follows the batch size (its length is not static). */
export function isBatchAxis(ctx: GradContext, name: string, axis: number): boolean {
  return ctx.shape(name).batchDims[axis] ?? false;
}

/**
 * Number of elements of `x` over `axes` as a float32 scalar tensor: a constant when those dims are static,
 * otherwise Size(x) / Size(reduced) at run time.
 */
export function countOver(ctx: GradContext, x: string, axes: number[], reduced: string): string {
  const e = ctx.e;
  const { dims, batchDims } = ctx.shape(x);
  if (!axes.some((a) => batchDims[a])) return e.scalar(axes.reduce((n, a) => n * dims[a], 1));
  const size = (t: string) => e.op('Cast', [e.op('Size', [t])], { to: 1 });
  return e.op('Div', [size(x), size(reduced)]);
}

/** The static value of an int64 input (axes, starts, …) or undefined when the input is absent. */
export function staticInts(node: NodeView, ctx: GradContext, index: number, what: string): number[] | undefined {
  const name = node.input(index);
  return name ? ctx.requireConstant(node, name, what) : undefined;
}

/**
 * The normalised, sorted axes a Reduce* node reduces over (axes as attribute or as input 1); [] when it
 * reduces nothing (empty axes with noop_with_empty_axes = 1); all axes when axes are absent or empty.
 */
export function reductionAxes(node: NodeView, ctx: GradContext): number[] {
  const rank = ctx.rank(node.input(0));
  const given = node.has('axes') ? node.ints('axes') : (staticInts(node, ctx, 1, 'the axes input') ?? []);
  if (given.length === 0) return node.int('noop_with_empty_axes', 0) === 1 ? [] : range(0, rank);
  const axes = [...new Set(given.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
  if (axes.some((a) => a < 0 || a >= rank)) node.fail(`axes [${given.join(', ')}] out of range for rank ${rank}`);
  return axes;
}

/** A reduction's output (or its gradient) with the reduced axes put back as 1s, for broadcasting against x. */
export function keepDims(node: NodeView, e: Emitter, t: string, axes: number[]): string {
  return node.int('keepdims', 1) === 1 ? t : e.unsqueeze(t, axes);
}

/** Broadcasts `t` (keepdims-shaped) to the runtime shape of `like`. */
export function expandLike(e: Emitter, t: string, like: string): string {
  return e.op('Expand', [t, e.shapeOf(like)]);
}

/** Per-channel [C] tensor reshaped to [C, 1, …, 1] for an input of `rank` dims (NC… layout). */
export function perChannel(e: Emitter, c: string, rank: number): string {
  return e.unsqueeze(c, range(1, rank - 1));
}

/** Mean, centred input, 1/√(var+ε) and x̂ over `axes` (keepdims), recomputed in the gradient graph. */
export function standardize(e: Emitter, x: string, axes: number[], epsilon: number): { centred: string; rstd: string; xhat: string } {
  const mean = e.reduce('ReduceMean', x, axes, true);
  const centred = e.op('Sub', [x, mean]);
  const variance = e.reduce('ReduceMean', e.op('Mul', [centred, centred]), axes, true);
  const rstd = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [variance, e.scalar(epsilon)])])]);
  return { centred, rstd, xhat: e.op('Mul', [centred, rstd]) };
}

/**
 * Gradient through x̂ = (x − mean)·rstd over `axes`, given g = ∂L/∂x̂:
 * dx = rstd · (g − mean(g) − x̂ · mean(g·x̂)).
 */
export function standardizeBackward(e: Emitter, g: string, xhat: string, rstd: string, axes: number[]): string {
  const meanG = e.reduce('ReduceMean', g, axes, true);
  const meanGx = e.reduce('ReduceMean', e.op('Mul', [g, xhat]), axes, true);
  const inner = e.op('Sub', [e.op('Sub', [g, meanG]), e.op('Mul', [xhat, meanGx])]);
  return e.op('Mul', [inner, rstd]);
}
