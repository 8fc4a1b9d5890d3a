import type { OpGradient } from '../types';
import { keepDims, reductionAxes } from './structuralUtil';

/** ReduceLogSumExp: y = log Σ exp(x) → dx = exp(x − y)·dy (the softmax over the reduced axes). */
export const reduceLogSumExpGradient: OpGradient = {
  opType: 'ReduceLogSumExp',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const axes = reductionAxes(node, ctx);
    const softmax = e.op('Exp', [e.op('Sub', [node.input(0), keepDims(node, e, node.outputs[0], axes)])]);
    return [e.op('Mul', [softmax, keepDims(node, e, dy[0], axes)])];
  },
};
