import type { OpGradient } from '../types';
import { softmaxAxis } from './elementwiseUtil';

/** LogSoftmax along `axis` (opset ≥ 13 semantics, default −1): dx = dy − eʸ·Σ_axis dy. */
export const logSoftmaxGradient: OpGradient = {
  opType: 'LogSoftmax',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const total = e.reduceSum(dy[0], [softmaxAxis(node, ctx)], true);
    return [e.op('Sub', [dy[0], e.op('Mul', [e.op('Exp', [node.outputs[0]]), total])])];
  },
};
