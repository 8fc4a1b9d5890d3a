import type { OpGradient } from '../types';
import { keepDims, reductionAxes } from './structuralUtil';

/** ReduceL2: y = √Σx² → dx = x/y·dy (0 where y = 0; with noop_with_empty_axes y = |x| and dx = sign(x)·dy). */
export const reduceL2Gradient: OpGradient = {
  opType: 'ReduceL2',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const axes = reductionAxes(node, ctx);
    const norm = e.op('Max', [keepDims(node, e, node.outputs[0], axes), e.scalar(1e-30)]);
    return [e.op('Mul', [e.op('Div', [node.input(0), norm]), keepDims(node, e, dy[0], axes)])];
  },
};
