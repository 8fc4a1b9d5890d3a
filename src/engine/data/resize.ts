/**
 * Separable resampling of planar float32 CHW images, following Pillow's ImagingResample (the same
 * weights torchvision's Resize(antialias=True) uses for bilinear/bicubic): when downscaling, the filter's
 * support is stretched by the scale factor so every input pixel contributes (antialiasing); when
 * upscaling it is the plain interpolation kernel.
 *
 * Resizing happens on floats in [0,1] after the byte→float conversion: unlike Pillow on 8-bit images
 * there is no rounding to bytes between the two passes or at the end. Bicubic and Lanczos can overshoot
 * slightly outside the input range; clamping is the caller's business (rasterToPixels clamps to [0,1]).
 */
export type ResizeFilter = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos' | 'area';

export const RESIZE_FILTERS: readonly ResizeFilter[] = ['nearest', 'bilinear', 'bicubic', 'lanczos', 'area'];

/** Per-output-index taps for one axis: output i reads input[start[i] .. start[i]+count[i]) with weights[i*taps ..]. */
export interface AxisWeights {
  inSize: number;
  outSize: number;
  taps: number;
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
}

interface Kernel {
  support: number;
  f: (x: number) => number;
}

const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

// The exact kernels of Pillow's Resample.c (including the half-open box interval, which decides ties).
const KERNELS: Record<Exclude<ResizeFilter, 'nearest'>, Kernel> = {
  area: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, f: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5; // Pillow's (and torchvision antialias's) choice; OpenCV uses -0.75
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const CACHE_LIMIT = 256;
const cache = new Map<string, AxisWeights>();

/** Weight table for one axis, computed once per (inSize, outSize, filter) and cached (datasets mostly share sizes). */
export function axisWeights(inSize: number, outSize: number, filter: ResizeFilter): AxisWeights {
  const key = `${inSize}>${outSize}:${filter}`;
  let w = cache.get(key);
  if (!w) {
    w = filter === 'nearest' ? nearestWeights(inSize, outSize) : kernelWeights(inSize, outSize, KERNELS[filter]);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string); // oldest first
    cache.set(key, w);
  }
  return w;
}

/**
 * Pillow's NEAREST: the input pixel under each output pixel's centre, (i + 0.5)·in/out truncated. Pillow
 * steps that coordinate by repeated addition, so exact ties (e.g. 100 → 45) can land one pixel lower than
 * the closed form; we step the same way to pick the very same pixels.
 */
function nearestWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  let x = scale * 0.5;
  for (let i = 0; i < outSize; i++, x += scale) start[i] = Math.min(inSize - 1, Math.trunc(x));
  return { inSize, outSize, taps: 1, start, count: new Int32Array(outSize).fill(1), weights: new Float64Array(outSize).fill(1) };
}

/** Pillow's precompute_coeffs, normalised so each row of weights sums to 1. */
function kernelWeights(inSize: number, outSize: number, k: Kernel): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1); // >1 only when downscaling: that is the antialiasing
  const support = k.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const w = k.f((x - center + 0.5) / filterScale);
      weights[i * taps + x - lo] = w;
      sum += w;
    }
    if (sum !== 0) for (let x = 0; x < hi - lo; x++) weights[i * taps + x] /= sum;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { inSize, outSize, taps, start, count, weights };
}

/** Resizes a planar C×inH×inW image to C×outH×outW (horizontal pass, then vertical). Returns a new array. */
export function resizePlanar(
  src: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  filter: ResizeFilter,
): Float32Array {
  if (src.length !== channels * inH * inW) throw new RangeError(`resizePlanar: ${src.length} values for ${channels}×${inH}×${inW}`);
  if (!(outH >= 1 && outW >= 1 && Number.isInteger(outH) && Number.isInteger(outW)))
    throw new RangeError(`resizePlanar: bad output size ${outH}×${outW}`);
  let cur = src;
  if (inW !== outW) cur = resampleRows(cur, channels * inH, axisWeights(inW, outW, filter));
  if (inH !== outH) cur = resampleColumns(cur, channels, outW, axisWeights(inH, outH, filter));
  return cur === src ? src.slice() : cur;
}

/** Horizontal pass: each of `rows` rows of length w.inSize becomes w.outSize long. */
function resampleRows(src: Float32Array, rows: number, w: AxisWeights): Float32Array {
  const { inSize, outSize, taps, start, count, weights } = w;
  const out = new Float32Array(rows * outSize);
  for (let r = 0; r < rows; r++) {
    const row = r * inSize;
    const o = r * outSize;
    for (let i = 0; i < outSize; i++) {
      let acc = 0;
      const s = row + start[i];
      const k = i * taps;
      for (let t = 0, n = count[i]; t < n; t++) acc += src[s + t] * weights[k + t];
      out[o + i] = acc;
    }
  }
  return out;
}

/** Vertical pass over `channels` planes of w.inSize rows × width; whole rows are accumulated for cache-friendly access. */
function resampleColumns(src: Float32Array, channels: number, width: number, w: AxisWeights): Float32Array {
  const { inSize, outSize, taps, start, count, weights } = w;
  const out = new Float32Array(channels * outSize * width);
  const acc = new Float64Array(width);
  for (let c = 0; c < channels; c++) {
    const plane = c * inSize * width;
    for (let i = 0; i < outSize; i++) {
      acc.fill(0);
      for (let t = 0, n = count[i]; t < n; t++) {
        const wt = weights[i * taps + t];
        const row = plane + (start[i] + t) * width;
        for (let x = 0; x < width; x++) acc[x] += src[row + x] * wt;
      }
      out.set(acc, (c * outSize + i) * width);
    }
  }
  return out;
}
