import type { OpGradient } from '../types';
import { maskOf } from './common';
import { keepDims, reductionAxes } from './structuralUtil';

/** ReduceMax: dx = dy at the positions where x equals the max (shared equally among ties), 0 elsewhere. */
export const reduceMaxGradient: OpGradient = {
  opType: 'ReduceMax',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const axes = reductionAxes(node, ctx);
    const mask = maskOf(e, e.op('Equal', [node.input(0), keepDims(node, e, node.outputs[0], axes)]));
    const share = e.op('Div', [keepDims(node, e, dy[0], axes), e.reduceSum(mask, axes, true)]);
    return [e.op('Mul', [mask, share])];
  },
};
