import type { OpGradient } from '../types';
import { keepDims, reductionAxes } from './structuralUtil';

/** ReduceSumSquare: y = Σx² → dx = 2x·dy (also with noop_with_empty_axes, where onnxruntime yields x²). */
export const reduceSumSquareGradient: OpGradient = {
  opType: 'ReduceSumSquare',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const axes = reductionAxes(node, ctx);
    return [e.op('Mul', [e.op('Mul', [node.input(0), e.scalar(2)]), keepDims(node, e, dy[0], axes)])];
  },
};
