/** Helpers shared by the elementwise/dense gradient modules. */
import { dataTypeFromName, TensorDataType } from '../../onnx/tensorData';
import type { Emitter } from '../emitter';
import type { NodeView } from '../nodeView';
import type { GradContext } from '../types';

/** Float element types a gradient can flow through (Cast passes it back in the input's type). */
export const FLOAT_TYPES = new Set<number>([TensorDataType.FLOAT, TensorDataType.FLOAT16, TensorDataType.DOUBLE, TensorDataType.BFLOAT16]);

/** ONNX data type code of a forward tensor (from the probe). */
export function typeCodeOf(ctx: GradContext, name: string): number | undefined {
  return dataTypeFromName(ctx.shape(name).type);
}

/** `a` where `cond` holds, 0 elsewhere (broadcasting). */
export function whereElseZero(e: Emitter, cond: string, a: string): string {
  return e.op('Where', [cond, a, e.scalar(0)]);
}

/**
 * Sums `grad` (with static dims `gradDims`) down to the shape of `target` (dims `targetDims`, possibly of
 * lower rank) along numpy-broadcast axes, then reshapes to target's runtime shape when ranks differ or
 * `reshape` is asked for (e.g. a 1-D MatMul operand that was promoted to 2-D).
 */
export function sumToShape(e: Emitter, grad: string, gradDims: number[], target: string, targetDims: number[], reshape = false): string {
  const offset = gradDims.length - targetDims.length;
  const axes: number[] = [];
  for (let a = 0; a < gradDims.length; a++) {
    if (a < offset || (targetDims[a - offset] === 1 && gradDims[a] !== 1)) axes.push(a);
  }
  const reduced = e.reduceSum(grad, axes, true);
  return offset > 0 || reshape ? e.reshapeLike(reduced, target) : reduced;
}

/** Max/Min: dy goes to the input(s) equal to the output, split evenly between ties. */
export function selectionGradient(node: NodeView, dy: string, needs: boolean[], ctx: GradContext): string[] {
  const e = ctx.e;
  const y = node.outputs[0];
  if (node.inputs.length === 1) return [dy];
  const masks = node.inputs.map((x) => e.op('Cast', [e.op('Equal', [x, y])], { to: TensorDataType.FLOAT }));
  const share = e.op('Div', [dy, e.op('Sum', masks)]);
  return node.inputs.map((x, i) => (needs[i] ? ctx.unbroadcast(e.op('Mul', [share, masks[i]]), x, y) : ''));
}

/** Softmax/LogSoftmax axis (opset ≥ 13 semantics, after the upgrade), normalised. */
export function softmaxAxis(node: NodeView, ctx: GradContext): number {
  const rank = ctx.rank(node.input(0));
  const axis = node.int('axis', -1);
  if (axis < -rank || axis >= rank) node.fail(`axis ${axis} is out of range for a rank-${rank} input`);
  return axis < 0 ? axis + rank : axis;
}

/** Cast/CastLike: passes dy back in the input's float type; fails where the cast blocks the gradient. */
export function castBack(node: NodeView, dy: string, outType: string, ctx: GradContext): string {
  const x = node.input(0);
  const out = dataTypeFromName(outType);
  const inType = ctx.shape(x).type;
  const inCode = dataTypeFromName(inType);
  if (out === undefined || !FLOAT_TYPES.has(out)) {
    node.fail(
      `the cast of "${x}" (${inType}) to ${outType} blocks the gradient: a ${outType} value is piecewise constant in its input, so no useful gradient flows back through it`,
    );
  }
  if (inCode === undefined || !FLOAT_TYPES.has(inCode)) {
    node.fail(`the cast input "${x}" has type ${inType}: no gradient flows into a non-float tensor`);
  }
  return ctx.e.op('Cast', [dy], { to: inCode });
}
