import type { Emitter } from '../emitter';
import type { OpGradient } from '../types';
import { extent, groupedWeightGrad, spatialDims, transposeBack, windowGeometry, type WindowAxis } from './spatialUtil';

/**
 * For stride 1, the input gradient is a plain Conv of dy with the spatially flipped, group-transposed
 * weights — onnxruntime's Conv kernels are several times faster than its ConvTranspose. The weight
 * transform reads only the initializer, so onnxruntime folds it once when the session is created.
 * Returns undefined where that form does not apply (strides > 1, pads beyond the kernel extent).
 */
function convInputGradient(e: Emitter, dy: string, w: string, wDims: number[], group: number, geo: WindowAxis[]): string | undefined {
  if (geo.some((a) => a.s !== 1)) return undefined;
  const pads = geo.map((a) => {
    const pe = a.outLen - 1 + extent(a) - a.inLen - a.pb;
    return [extent(a) - 1 - a.pb, extent(a) - 1 - pe];
  });
  if (pads.some(([b, t]) => b < 0 || t < 0)) return undefined;
  const [m, cPerGroup, ...kernel] = wDims;
  const spatial = kernel.map((_, i) => i + 3);
  // [M, C/g, k…] → [g, M/g, C/g, k…] → [g, C/g, M/g, k…] → [C, M/g, k…], then flip every spatial axis.
  const grouped = e.op('Reshape', [w, e.int64([group, m / group, cPerGroup, ...kernel])]);
  const swapped = e.op('Transpose', [grouped], { perm: [0, 2, 1, ...spatial] });
  const regrouped = e.op('Reshape', [swapped, e.int64([group * cPerGroup, m / group, ...kernel])]);
  const flipped = e.op('Slice', [
    regrouped,
    e.int64(kernel.map(() => -1)),
    e.int64(kernel.map((k) => -k - 1)),
    e.int64(kernel.map((_, i) => i + 2)),
    e.int64(kernel.map(() => -1)),
  ]);
  return e.op('Conv', [dy, flipped], {
    group,
    dilations: geo.map((a) => a.d),
    pads: [...pads.map(([b]) => b), ...pads.map(([, t]) => t)],
  });
}

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
    if (needs[0])
      grads[0] = convInputGradient(e, dy[0], w, wDims, group, geo) ?? e.op('ConvTranspose', [dy[0], w], transposeBack(geo, group));
    if (needs[1]) {
      const cPerGroup = wDims[1];
      grads[1] = groupedWeightGrad(
        e,
        x,
        spatialDims(node, ctx, x),
        cPerGroup,
        group,
        dy[0],
        geo.map((a) => a.outLen),
        geo,
      );
    }
    if (needs[2] && b) grads[2] = e.reduceSum(dy[0], [0, ...kernel.map((_, i) => i + 2)], false);
    return grads;
  },
};
