import type { OpGradient } from '../types';
import { attrsOf, onesOf, transposeBack, windowGeometry, type WindowAxis } from './spatialUtil';

/** Per output position of one axis, how many window taps fall inside the (unpadded) input. */
function validTaps(a: WindowAxis): number[] {
  return Array.from({ length: a.outLen }, (_, o) => {
    let n = 0;
    for (let t = 0; t < a.k; t++) {
      const i = o * a.s - a.pb + t * a.d;
      if (i >= 0 && i < a.inLen) n++;
    }
    return n;
  });
}

/**
 * AveragePool: y[o] = w[o] · Σ_{taps of window o inside x} x, so dx = ConvTranspose(dy·w, ones kernel per
 * channel, group = C) with the pool's strides/dilations/pads. With count_include_pad=0, w = 1/(number of
 * taps inside x), computed from the static shapes. With count_include_pad=1 the divisor also counts pads
 * (clipped at the padded end under ceil_mode), so w = AveragePool(ones)/taps-inside, with the very same
 * pool run on a ones image: exact at the borders without restating onnxruntime's divisor rule.
 */
export const averagePoolGradient: OpGradient = {
  opType: 'AveragePool',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const xDims = ctx.shape(x).dims;
    const kernel = node.ints('kernel_shape');
    const geo = windowGeometry(node, ctx, x, node.outputs[0], kernel);
    const perAxis = geo.map(validTaps);
    const outLens = geo.map((a) => a.outLen);
    const inverse: number[] = [];
    const visit = (axis: number, product: number): void => {
      if (axis === perAxis.length) {
        inverse.push(product === 0 ? 0 : 1 / product);
        return;
      }
      for (const c of perAxis[axis]) visit(axis + 1, product * c);
    };
    visit(0, 1);
    let weight = e.float(inverse, [1, 1, ...outLens]);
    if (node.int('count_include_pad', 0) !== 0) {
      // The Slice is a no-op at run time; it keeps ONNX shape inference, which may count one more ceil_mode
      // window than onnxruntime runs, from rejecting the Mul at load time.
      const pooledOnes = e.op('AveragePool', [onesOf(e, [1, 1, ...geo.map((a) => a.inLen)])], attrsOf(node));
      const axes = outLens.map((_, i) => i + 2);
      const fitted = e.op('Slice', [pooledOnes, e.int64(axes.map(() => 0)), e.int64(outLens), e.int64(axes)]);
      weight = e.op('Mul', [fitted, weight]);
    }
    const channels = xDims[1];
    const ones = e.float(new Array<number>(channels * kernel.reduce((a, b) => a * b, 1)).fill(1), [channels, 1, ...kernel]);
    const scaled = e.op('Mul', [dy[0], weight]);
    return [e.op('ConvTranspose', [scaled, ones], transposeBack(geo, channels))];
  },
};
