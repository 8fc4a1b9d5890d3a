import type { OpGradient } from '../types';
import { broadcastParam, refuseParamGradients } from './quantizeUtil';

/**
 * DequantizeLinear, y = (x − zp) · s: linear in the integer x, so dx = dy · s (per tensor or per axis). The
 * integer x only carries a gradient when it comes from a QuantizeLinear, whose straight-through estimate
 * divides by s again (quantizeLinear.ts).
 */
export const dequantizeLinearGradient: OpGradient = {
  opType: 'DequantizeLinear',
  gradient: ({ node, dy, needs, ctx }) => {
    refuseParamGradients(node, needs);
    const x = node.input(0);
    return [ctx.e.op('Mul', [dy[0], broadcastParam(node, ctx, node.input(1), ctx.rank(x))]), '', ''];
  },
};
