import { attr } from '../../onnx/build';
import type { OpGradient } from '../types';
import { cropSpatial, extent, groupedWeightGrad, spatialDims } from './spatialUtil';

/**
 * ConvTranspose (y_full[s·i + d·t] += x[i]·W[c, m, t], y = y_full cropped by the leading pad):
 *   dx = Conv(dy, W) with the same group/strides/dilations and the leading pad (trailing pad, then a crop,
 *        give exactly x's size); dW = a Conv over the batch axis of dy_pad with x; dB = Σ dy over N and space.
 * The leading pad follows onnxruntime: `pads` (NOTSET), 0 (VALID), else with the total padding
 * P = max(0, s·(in−1) + ext + output_padding − out) (output_shape given, or SAME_*): ⌊P/2⌋ for SAME_UPPER,
 * P − ⌊P/2⌋ otherwise.
 */
export const convTransposeGradient: OpGradient = {
  opType: 'ConvTranspose',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [x, w, b] = [node.input(0), node.input(1), node.input(2)];
    const wDims = ctx.shape(w).dims;
    const kernel = wDims.slice(2);
    const inLens = spatialDims(node, ctx, x);
    const outLens = spatialDims(node, ctx, node.outputs[0]);
    const group = node.int('group', 1);
    const strides = node.ints('strides', []);
    const dilations = node.ints('dilations', []);
    const pads = node.ints('pads', []);
    const outputPadding = node.ints('output_padding', []);
    const autoPad = node.string('auto_pad', 'NOTSET');
    const byShape = node.ints('output_shape', []).length > 0;
    const geo = kernel.map((k, i) => {
      const a = { k, s: strides[i] ?? 1, d: dilations[i] ?? 1, pb: 0 };
      if (byShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
        const total = Math.max(0, a.s * (inLens[i] - 1) + extent(a) + (outputPadding[i] ?? 0) - outLens[i]);
        a.pb = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
      } else if (autoPad === 'NOTSET') a.pb = pads[i] ?? 0;
      else if (autoPad !== 'VALID') node.fail(`auto_pad "${autoPad}" is not supported`);
      return a;
    });
    const grads = ['', '', ''];
    if (needs[0]) {
      const pe = geo.map((a, i) => Math.max(0, a.s * (inLens[i] - 1) + extent(a) - a.pb - outLens[i]));
      const got = geo.map((a, i) => Math.floor((outLens[i] + a.pb + pe[i] - extent(a)) / a.s) + 1);
      const conv = e.op('Conv', [dy[0], w], {
        group: attr.int(group),
        strides: attr.ints(geo.map((a) => a.s)),
        dilations: attr.ints(geo.map((a) => a.d)),
        pads: attr.ints([...geo.map((a) => a.pb), ...pe]),
      });
      grads[0] = cropSpatial(e, conv, got, inLens);
    }
    if (needs[1]) grads[1] = groupedWeightGrad(e, dy[0], outLens, wDims[1], group, x, inLens, geo);
    if (needs[2] && b) grads[2] = e.reduceSum(dy[0], [0, ...kernel.map((_, i) => i + 2)], false);
    return grads;
  },
};
