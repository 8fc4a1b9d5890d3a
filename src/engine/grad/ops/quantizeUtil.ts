/** Shared by the straight-through QuantizeLinear / DequantizeLinear gradients. */
import type { NodeView } from '../nodeView';
import type { GradContext } from '../types';
import { normAxis } from './common';

/** The integer range of a quantized element type (QuantizeLinear saturates to it). */
const RANGES: Record<string, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
};

export function integerRange(node: NodeView, type: string): [number, number] {
  const r = RANGES[type];
  if (!r) node.fail(`quantized type ${type} is not supported by the straight-through gradient (uint8, int8, uint16, int16 are)`);
  return r;
}

/**
 * A per-tensor or per-axis (1-D, along `axis`) scale or zero point as float32, shaped to broadcast against
 * the data tensor of rank `rank`. Blocked quantization (a scale of rank > 1) is refused.
 */
export function broadcastParam(node: NodeView, ctx: GradContext, param: string, rank: number): string {
  const e = ctx.e;
  const dims = ctx.shape(param).dims;
  const asFloat = e.op('Cast', [param], { to: 1 }); // zero points are integers; a float16 scale too
  if (dims.length === 0 || rank <= 1) return asFloat;
  if (dims.length !== 1) node.fail(`blocked quantization (a scale or zero point of rank ${dims.length}) is not supported`);
  const axis = normAxis(node.int('axis', 1), rank);
  return e.unsqueeze(
    asFloat,
    Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis),
  );
}

/** Scales and zero points are weights: a gradient with respect to them is not computed. */
export function refuseParamGradients(node: NodeView, needs: boolean[]): void {
  if (needs[1] || needs[2]) node.fail('a scale or zero point that depends on the input (dynamic quantization) is not supported');
}
