import type { OpGradient } from '../types';
import { groupedWeightGrad, spatialDims, transposeBack, windowGeometry } from './spatialUtil';

/**
 * Conv (1-D/2-D/3-D, groups, strides, pads or auto_pad, dilations):
 *   dx = ConvTranspose(dy, W) with the same group/strides/dilations/leading pads, trailing pad and
 *        output_padding chosen so dx has exactly x's spatial size;
 *   dW[m, c, t] = Σ_n Σ_j dy[n, m, j] · x_pad[n, g·C/G + c, s·j + d·t]  (a Conv over the batch axis);
 *   dB[m] = Σ_{n, j} dy[n, m, j].
 */
export const convGradient: OpGradient = {
  opType: 'Conv',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [x, w, b] = [node.input(0), node.input(1), node.input(2)];
    const y = node.outputs[0];
    const wDims = ctx.shape(w).dims;
    const kernel = wDims.slice(2);
    const group = node.int('group', 1);
    const geo = windowGeometry(node, ctx, x, y, kernel);
    const grads = ['', '', ''];
    if (needs[0]) grads[0] = e.op('ConvTranspose', [dy[0], w], transposeBack(geo, group));
    if (needs[1]) {
      const cPerGroup = wDims[1];
      grads[1] = groupedWeightGrad(e, x, spatialDims(node, ctx, x), cPerGroup, group, dy[0], geo.map((a) => a.outLen), geo);
    }
    if (needs[2] && b) grads[2] = e.reduceSum(dy[0], [0, ...kernel.map((_, i) => i + 2)], false);
    return grads;
  },
};
