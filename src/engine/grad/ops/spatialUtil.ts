/**
 * Helpers shared by the spatial gradient modules (Conv, ConvTranspose, pools, Pad, Resize): sliding-window
 * geometry with onnxruntime's auto_pad rules, the ConvTranspose/Conv attributes that map a window op's
 * output back onto its input exactly, weight gradients as a Conv over the batch axis, scatter-add into a
 * flattened tensor, and Resize's per-axis interpolation matrices (onnxruntime's float32 arithmetic).
 */
import { attr, makeTensor, type AttrValue } from '../../onnx/build';
import { AttributeType } from '../../onnx/onnxProto';
import type { Emitter } from '../emitter';
import type { NodeView } from '../nodeView';
import type { GradContext } from '../types';

/** The node's attributes as emitter values, to re-run the same op in the gradient graph. */
export function attrsOf(node: NodeView): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const a of node.proto.attribute) {
    switch (a.type) {
      case AttributeType.FLOAT:
        out[a.name] = attr.float(a.f ?? 0);
        break;
      case AttributeType.INT:
        out[a.name] = attr.int(a.i ?? 0);
        break;
      case AttributeType.STRING:
        out[a.name] = a.s ?? new Uint8Array();
        break;
      case AttributeType.FLOATS:
        out[a.name] = attr.floats(a.floats ?? []);
        break;
      case AttributeType.INTS:
        out[a.name] = attr.ints(a.ints ?? []);
        break;
      default:
        node.fail(`attribute ${a.name} has a type (${a.type}) the gradient builder cannot copy`);
    }
  }
  return out;
}

/** Static spatial dims (after N and C) of a forward tensor; fails when one follows the batch size. */
export function spatialDims(node: NodeView, ctx: GradContext, name: string): number[] {
  const s = ctx.shape(name);
  if (s.dims.length < 3) node.fail(`tensor "${name}" has rank ${s.dims.length}; expected N, C and at least one spatial axis`);
  if (s.batchDims.slice(1).some((b) => b)) node.fail(`tensor "${name}" has a channel or spatial dim that changes with the batch size`);
  return s.dims.slice(2);
}

/** One spatial axis of a sliding-window op: lengths, kernel, stride, dilation and the leading pad. */
export interface WindowAxis {
  inLen: number;
  outLen: number;
  k: number;
  s: number;
  d: number;
  pb: number;
}

/** Effective kernel extent (k−1)·d + 1. */
export const extent = (a: { k: number; d: number }): number => (a.k - 1) * a.d + 1;

/**
 * Geometry of Conv / pooling windows: pads from `pads` or from auto_pad with onnxruntime's rule
 * (pad_needed = (⌈in/s⌉−1)·s + k − in with the undilated kernel; SAME_UPPER puts ⌊needed/2⌋ first,
 * SAME_LOWER ⌊(needed+1)/2⌋). Output lengths come from the probed output, so ceil_mode needs no rule here.
 */
export function windowGeometry(node: NodeView, ctx: GradContext, x: string, y: string, kernel: number[]): WindowAxis[] {
  const inDims = spatialDims(node, ctx, x);
  const outDims = spatialDims(node, ctx, y);
  const n = inDims.length;
  if (kernel.length !== n) node.fail(`kernel has ${kernel.length} spatial dims but the input has ${n}`);
  const strides = node.ints('strides', []);
  const dilations = node.ints('dilations', []);
  const pads = node.ints('pads', []);
  const autoPad = node.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) node.fail(`auto_pad "${autoPad}" is not supported`);
  return inDims.map((inLen, i) => {
    const s = strides[i] ?? 1;
    const d = dilations[i] ?? 1;
    const k = kernel[i];
    let pb = 0;
    if (autoPad === 'NOTSET') pb = pads[i] ?? 0;
    else if (autoPad !== 'VALID') {
      const needed = (Math.ceil(inLen / s) - 1) * s + k - inLen;
      pb = Math.trunc((autoPad === 'SAME_LOWER' ? needed + 1 : needed) / 2);
    }
    return { inLen, outLen: outDims[i], k, s, d, pb };
  });
}

/**
 * ConvTranspose attributes that scatter a window op's output gradient (length outLen) back onto its input
 * (length inLen) exactly: the leading pad crops like the forward pad; the trailing pad and output_padding
 * make the length inLen whatever remainder the forward division (or ceil_mode) left.
 */
export function transposeBack(axes: WindowAxis[], group: number): Record<string, AttrValue> {
  const tails = axes.map((a) => a.s * (a.outLen - 1) + extent(a) - a.pb);
  return {
    group: attr.int(group),
    strides: attr.ints(axes.map((a) => a.s)),
    dilations: attr.ints(axes.map((a) => a.d)),
    pads: attr.ints([...axes.map((a) => a.pb), ...axes.map((a, i) => Math.max(0, tails[i] - a.inLen))]),
    output_padding: attr.ints(axes.map((a, i) => Math.max(0, a.inLen - tails[i]))),
  };
}

/** Slices `x` along the spatial axes (2…) to `lens` where `have` is longer. */
export function cropSpatial(e: Emitter, x: string, have: number[], lens: number[]): string {
  const axes = lens.map((_, i) => i + 2).filter((_, i) => have[i] > lens[i]);
  if (axes.length === 0) return x;
  return e.op('Slice', [x, e.int64(axes.map(() => 0)), e.int64(axes.map((a) => lens[a - 2])), e.int64(axes)]);
}

const iota = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/**
 * Weight gradient of a grouped correlation, as one Conv over the batch axis:
 *   out[g·Q' + q, p, t] = Σ_n Σ_j b[n, g·Q' + q, j] · a_pad[n, g·P + p, s·j + d·t]   (t < k),
 * with a: [N, G·P, …aLens] padded by `pb` in front, b: [N, Q, …bLens], result [Q, P, …k].
 * (Conv: a = x, b = dy. ConvTranspose: a = dy, b = x.) The batch becomes the channel axis the Conv sums
 * over; stride and dilation swap roles.
 */
export function groupedWeightGrad(
  e: Emitter,
  a: string,
  aLens: number[],
  p: number,
  group: number,
  b: string,
  bLens: number[],
  axes: { k: number; s: number; d: number; pb: number }[],
): string {
  const n = aLens.length;
  const swap = [1, 0, ...iota(n, 2)];
  const aT =
    group === 1
      ? e.op('Transpose', [a], { perm: swap })
      : e.op('Reshape', [
          e.op('Transpose', [e.op('Reshape', [a, e.int64([0, group, p, ...aLens])])], { perm: [2, 1, 0, ...iota(n, 3)] }),
          e.int64([p, -1, ...aLens]),
        ]);
  const bT = e.op('Transpose', [b], { perm: swap });
  const pe = axes.map((x, i) => Math.max(0, x.s * (bLens[i] - 1) + extent(x) - x.pb - aLens[i]));
  const got = axes.map((x, i) => Math.floor((aLens[i] + x.pb + pe[i] - (x.s * (bLens[i] - 1) + 1)) / x.d) + 1);
  const conv = e.op('Conv', [aT, bT], {
    group: attr.int(group),
    strides: attr.ints(axes.map((x) => x.d)),
    dilations: attr.ints(axes.map((x) => x.s)),
    pads: attr.ints([...axes.map((x) => x.pb), ...pe]),
  });
  return e.op(
    'Transpose',
    [
      cropSpatial(
        e,
        conv,
        got,
        axes.map((x) => x.k),
      ),
    ],
    { perm: swap },
  );
}

/** Float32 zeros of a given runtime shape (an int64 1-D tensor). */
export function zerosOfShape(e: Emitter, shape: string): string {
  return e.op('ConstantOfShape', [shape], { value: makeTensor('', [1], Float32Array.of(0)) });
}

/** Float32 ones of a static shape. */
export function onesOf(e: Emitter, dims: number[]): string {
  return e.op('ConstantOfShape', [e.int64(dims)], { value: makeTensor('', [1], Float32Array.of(1)) });
}

/**
 * Adds each element of `updates` into a zero tensor shaped like `like` at the flat (row-major) position given
 * by the matching element of `indices` (same shape as updates, values in [0, size(like))).
 */
export function scatterAddFlat(e: Emitter, like: string, indices: string, updates: string): string {
  const flat = e.int64([-1]);
  const zeros = zerosOfShape(e, e.op('Reshape', [e.op('Size', [like]), flat]));
  const summed = e.op('ScatterElements', [zeros, e.op('Reshape', [indices, flat]), e.op('Reshape', [updates, flat])], {
    axis: 0,
    reduction: 'add',
  });
  return e.reshapeLike(summed, like);
}

/** int64 tensor shaped like `like` holding each element's flat row-major index. */
export function flatIndexLike(e: Emitter, like: string): string {
  const range = e.op('Range', [e.int64([0], []), e.op('Size', [like]), e.int64([1], [])]);
  return e.reshapeLike(range, like);
}

/**
 * Applies Aᵀ along `axis` of `g`: out[…, i, …] = Σ_o A[o, i] · g[…, o, …], with A given row-major as
 * [outLen, inLen] (the forward op mapped x to y = A·x along that axis).
 */
export function applyTransposedAlong(
  e: Emitter,
  g: string,
  rank: number,
  axis: number,
  a: Float64Array,
  outLen: number,
  inLen: number,
): string {
  const aT = new Array<number>(inLen * outLen);
  for (let o = 0; o < outLen; o++) for (let i = 0; i < inLen; i++) aT[i * outLen + o] = a[o * inLen + i];
  if (axis === rank - 1) return e.op('MatMul', [g, e.float(Array.from(a), [outLen, inLen])]);
  if (axis === rank - 2) return e.op('MatMul', [e.float(aT, [inLen, outLen]), g]);
  const perm = [...iota(rank).filter((i) => i !== axis), axis];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const moved = e.op('MatMul', [e.op('Transpose', [g], { perm }), e.float(Array.from(a), [outLen, inLen])]);
  return e.op('Transpose', [moved], { perm: inverse });
}

// ---- Resize ------------------------------------------------------------------------------------------

const f32 = Math.fround;

/** One axis of a Resize, with the float32 scale onnxruntime uses in its coordinate transform. */
export interface ResizeAxis {
  mode: 'nearest' | 'linear' | 'cubic';
  antialias: boolean;
  transform: string;
  nearestMode: string;
  cubicCoeffA: number;
  excludeOutside: boolean;
  scale: number;
  inLen: number;
  outLen: number;
  roiStart: number;
  roiEnd: number;
  /** onnxruntime copies an axis whose scale is exactly 1, except for nearest on a rank-1 input. */
  identityWhenUnscaled: boolean;
}

/** onnxruntime's resized → original coordinate, evaluated in float32 step by step as its C++ does. */
export function originalCoordinate(
  transform: string,
  x: number,
  sc: number,
  lr: number,
  lo: number,
  rs: number,
  re: number,
): number | undefined {
  switch (transform) {
    case 'half_pixel':
      return f32(f32(f32(x + 0.5) / sc) - 0.5);
    case 'asymmetric':
      return f32(x / sc);
    case 'pytorch_half_pixel':
      return lr > 1 ? f32(f32(f32(x + 0.5) / sc) - 0.5) : 0;
    case 'tf_half_pixel_for_nn':
      return f32(f32(x + 0.5) / sc);
    case 'align_corners':
      return lr === 1 ? 0 : f32(f32(x * (lo - 1)) / (lr - 1));
    case 'tf_crop_and_resize':
      return lr > 1 ? f32(f32(rs * (lo - 1)) + f32(f32(f32(x * f32(re - rs)) * (lo - 1)) / (lr - 1))) : f32(0.5 * f32(rs + re) * (lo - 1));
    case 'half_pixel_symmetric': {
      const adjustment = f32(lr / f32(sc * lo));
      const offset = f32(f32(lo / 2) * f32(1 - adjustment));
      return f32(offset + (x + 0.5) / sc - 0.5);
    }
    default:
      return undefined;
  }
}

const roundHalfAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));
const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** onnxruntime's nearest_mode rounding of an original coordinate. */
export function nearestPixel(mode: string, v: number): number | undefined {
  switch (mode) {
    case 'round_prefer_floor':
      return v === f32(Math.trunc(v) + 0.5) ? Math.floor(v) : roundHalfAway(v);
    case 'round_prefer_ceil':
      return roundHalfAway(v);
    case 'floor':
      return Math.floor(v);
    case 'ceil':
      return Math.ceil(v);
    default:
      return undefined;
  }
}

/** Keys' cubic convolution weights of the 4 taps floor(x)−1 … floor(x)+2 for the fraction s. */
function cubicCoeffs(s: number, a: number): number[] {
  const k = (t: number) => (t <= 1 ? ((a + 2) * t - (a + 3)) * t * t + 1 : ((a * t - 5 * a) * t + 8 * a) * t - 4 * a);
  return [k(s + 1), k(s), k(1 - s), k(2 - s)];
}

/** The filters of onnxruntime's antialiased (Pillow-style) resampling. */
function antialiasFilter(mode: 'linear' | 'cubic', a: number): (v: number) => number {
  if (mode === 'linear') return (v) => (Math.abs(v) < 1 ? 1 - Math.abs(v) : 0);
  return (v) => {
    const t = Math.abs(v);
    if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    return t < 2 ? (((t - 5) * t + 8) * t - 4) * a : 0;
  };
}

/**
 * The [outLen, inLen] matrix A with y = A·x along one axis (row-major), or null when the axis is copied
 * unchanged. Throws (via `fail`) on a transform or nearest_mode it does not know.
 */
export function resizeMatrix(a: ResizeAxis, fail: (what: string) => never): Float64Array | null {
  const { inLen: lo, outLen: lr, scale } = a;
  if (lo === lr && (a.antialias || (scale === 1 && a.identityWhenUnscaled))) return null;
  const m = new Float64Array(lr * lo);
  const extrapolate = a.transform === 'tf_crop_and_resize';
  const coordinate = (o: number): number => {
    const c = originalCoordinate(a.transform, o, scale, lr, lo, a.roiStart, a.roiEnd);
    if (c === undefined) fail(`coordinate_transformation_mode "${a.transform}" is not supported`);
    return c;
  };
  if (a.antialias && a.mode !== 'nearest') {
    // onnxruntime's SetupUpsampleFilterAntiAlias: a filter widened by 1/scale when downscaling, taps outside
    // the input folded onto the border (or dropped with exclude_outside), weights normalised to sum 1.
    const filter = antialiasFilter(a.mode, a.cubicCoeffA);
    const inv = f32(1 / scale);
    const half = a.mode === 'cubic' ? 2 : 1;
    const support = inv >= 1 ? f32(half * inv) : half;
    const window = Math.ceil(support) * 2 + 1;
    const step = inv >= 1 ? f32(1 / inv) : 1;
    for (let o = 0; o < lr; o++) {
      const center = f32(0.5 + (inv === 1 ? o : coordinate(o)));
      if (extrapolate && (f32(center - 0.5) < 0 || f32(center - 0.5) > lo - 1)) continue;
      const xminReal = Math.floor(f32(f32(center - support) + 0.5));
      const xmaxReal = xminReal + clamp(Math.floor(f32(f32(center + support) + 0.5)) - xminReal, 0, window);
      const [xminCut, xmaxCut] = [clamp(xminReal, 0, lo), clamp(xmaxReal, 0, lo)];
      const xmin = a.excludeOutside ? xminCut : xminReal;
      const count = (a.excludeOutside ? xmaxCut : xmaxReal) - xmin;
      const buf = new Float64Array(window);
      let total = 0;
      for (let t = 0; t < count; t++) {
        buf[t] = filter(f32(f32(f32(t + xmin) - center) + 0.5) * step);
        total += buf[t];
      }
      if (!a.excludeOutside && xminCut < xmaxCut) {
        const neg = clamp(-xmin, 0, count - 1);
        for (let t = 0; t < neg; t++) buf[neg] += buf[t];
        const bound = clamp(count + xmin - lo, 0, count - 1);
        for (let t = count - bound; t < count; t++) buf[count - bound - 1] += buf[t];
        if (neg > 0 || bound > 0) for (let t = 0; t < xmaxCut - xminCut; t++) buf[t] = buf[t + neg];
      }
      const norm = total === 0 ? 1 : 1 / total;
      for (let t = 0; t < xmaxCut - xminCut; t++) m[o * lo + xminCut + t] = buf[t] * norm;
    }
    return m;
  }
  for (let o = 0; o < lr; o++) {
    const orig = a.mode !== 'nearest' && scale === 1 ? o : coordinate(o);
    if (extrapolate && (orig < 0 || orig > lo - 1)) continue;
    if (a.mode === 'nearest') {
      const idx = nearestPixel(a.nearestMode, orig);
      if (idx === undefined) fail(`nearest_mode "${a.nearestMode}" is not supported`);
      m[o * lo + clamp(idx, 0, lo - 1)] = 1;
    } else if (a.mode === 'linear') {
      const v = clamp(orig, 0, lo - 1);
      const x1 = Math.min(Math.trunc(v), lo - 1);
      const x2 = Math.min(x1 + 1, lo - 1);
      const [d1, d2] = x1 === x2 ? [0.5, 0.5] : [f32(Math.abs(v - x1)), f32(Math.abs(v - x2))];
      m[o * lo + x1] += d2;
      m[o * lo + x2] += d1;
    } else {
      const base = Math.floor(orig);
      const taps = cubicCoeffs(f32(orig - base), a.cubicCoeffA).map((c, i) => ({ c, at: base - 1 + i }));
      const kept = a.excludeOutside ? taps.filter((t) => t.at >= 0 && t.at < lo) : taps;
      const sum = a.excludeOutside ? kept.reduce((acc, t) => acc + t.c, 0) : 1;
      for (const t of kept) m[o * lo + clamp(t.at, 0, lo - 1)] += t.c / sum;
    }
  }
  return m;
}
