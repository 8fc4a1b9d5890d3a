import type { OpGradient } from '../types';
import { broadcastParam, integerRange, refuseParamGradients } from './quantizeUtil';

/**
 * QuantizeLinear, y = saturate(round(x / s) + zp): its true gradient is zero almost everywhere (a staircase),
 * so it gets the clipped straight-through estimate of quantization-aware training (PyTorch's
 * fake_quantize backward, BPDA): round is taken as the identity, so dy/dx = 1/s where round(x/s) + zp lies
 * in the integer range and 0 where it saturates. Followed by DequantizeLinear (×s), a QDQ pair passes the
 * gradient through unchanged inside the range. An estimate: the builder says so in its notes.
 */
export const quantizeLinearGradient: OpGradient = {
  opType: 'QuantizeLinear',
  gradient: ({ node, dy, needs, ctx }) => {
    refuseParamGradients(node, needs);
    const e = ctx.e;
    const [x, scale, zeroPoint] = [node.input(0), node.input(1), node.input(2)];
    const rank = ctx.rank(x);
    // The output's type is the zero point's (uint8 without one).
    const [lo, hi] = integerRange(node, ctx.shape(node.outputs[0]).type);
    const s = broadcastParam(node, ctx, scale, rank);
    let level = e.op('Round', [e.op('Div', [x, s])]);
    if (zeroPoint) level = e.op('Add', [level, broadcastParam(node, ctx, zeroPoint, rank)]);
    const inside = e.op('And', [e.op('GreaterOrEqual', [level, e.scalar(lo)]), e.op('LessOrEqual', [level, e.scalar(hi)])]);
    return [e.op('Div', [e.op('Mul', [dy[0], e.op('Cast', [inside], { to: 1 })]), s]), '', ''];
  },
};
