import type { OpGradient } from '../types';
import { perChannel, range, standardize, standardizeBackward } from './structuralUtil';

/**
 * InstanceNormalization: y = scale·x̂ + B with x̂ = (x − μ)/√(σ²+ε) over the spatial axes of each (n, c).
 * dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·scale; dscale = Σ dy·x̂, dB = Σ dy over N and spatial axes.
 */
export const instanceNormalizationGradient: OpGradient = {
  opType: 'InstanceNormalization',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const rank = ctx.rank(x);
    if (rank < 3) node.fail(`input of rank ${rank}: at least one spatial axis is needed`);
    const axes = range(2, rank);
    const { rstd, xhat } = standardize(e, x, axes, node.float('epsilon', 1e-5));
    const grads = ['', '', ''];
    if (needs[0]) grads[0] = standardizeBackward(e, e.op('Mul', [dy[0], perChannel(e, node.input(1), rank)]), xhat, rstd, axes);
    if (needs[1]) grads[1] = e.reduceSum(e.op('Mul', [dy[0], xhat]), [0, ...axes], false);
    if (needs[2]) grads[2] = e.reduceSum(dy[0], [0, ...axes], false);
    return grads;
  },
};
