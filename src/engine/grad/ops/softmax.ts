import type { OpGradient } from '../types';
import { softmaxAxis } from './elementwiseUtil';

/** Softmax along `axis` (opset ≥ 13 semantics, default −1): dx = y·(dy − Σ_axis dy·y). */
export const softmaxGradient: OpGradient = {
  opType: 'Softmax',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const y = node.outputs[0];
    const dot = e.reduceSum(e.op('Mul', [dy[0], y]), [softmaxAxis(node, ctx)], true);
    return [e.op('Mul', [y, e.op('Sub', [dy[0], dot])])];
  },
};
