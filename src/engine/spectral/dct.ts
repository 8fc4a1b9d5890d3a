/**
 * The orthonormal 2-D DCT-II on planar images, its basis images and a low-frequency-first ordering of the
 * basis (SimBA-DCT; the frequency analyses reuse the transform and the bands).
 *
 * 1-D: X_u = α_u Σ_i x_i cos(π(2i+1)u / 2n), α_0 = √(1/n), α_u = √(2/n) (u > 0). As a matrix M
 * (M[u,i] = α_u cos(π(2i+1)u / 2n)) it is orthogonal: M Mᵀ = I, so the inverse (DCT-III) is Mᵀ.
 * 2-D on an h × w plane (row-major): X = M_h x M_wᵀ, x = M_hᵀ X M_w. The basis image of frequency (u,v) is
 * the outer product of rows u of M_h and v of M_w; the h·w basis images are orthonormal.
 */
import type { Rng } from '../util/random';

const matrices = new Map<number, Float64Array>();

/** The n × n orthonormal DCT-II matrix, row-major (row u = the u-th basis vector). Cached; do not modify. */
export function dctMatrix(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`dctMatrix: size ${n}: expected a positive integer`);
  let m = matrices.get(n);
  if (!m) {
    m = new Float64Array(n * n);
    for (let u = 0; u < n; u++) {
      const alpha = Math.sqrt((u === 0 ? 1 : 2) / n);
      for (let i = 0; i < n; i++) m[u * n + i] = alpha * Math.cos((Math.PI * (2 * i + 1) * u) / (2 * n));
    }
    matrices.set(n, m);
  }
  return m;
}

/** out = A · B for row-major A (r × k) and B (k × c), or Aᵀ · B / A · Bᵀ by the flags. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number, transA: boolean, transB: boolean, out: Float64Array): Float64Array {
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += (transA ? a[t * r + i] : a[i * k + t]) * (transB ? b[j * k + t] : b[t * c + j]);
      out[i * c + j] = s;
    }
  }
  return out;
}

/** Forward 2-D DCT-II of one h × w plane: X = M_h x M_wᵀ. */
export function dct2(plane: ArrayLike<number>, h: number, w: number, out = new Float64Array(h * w)): Float64Array {
  const tmp = matmul(plane, dctMatrix(w), h, w, w, false, true, new Float64Array(h * w));
  return matmul(dctMatrix(h), tmp, h, h, w, false, false, out);
}

/** Inverse 2-D DCT (DCT-III) of one h × w coefficient plane: x = M_hᵀ X M_w. */
export function idct2(coeffs: ArrayLike<number>, h: number, w: number, out = new Float64Array(h * w)): Float64Array {
  const tmp = matmul(coeffs, dctMatrix(w), h, w, w, false, false, new Float64Array(h * w));
  return matmul(dctMatrix(h), tmp, h, h, w, true, false, out);
}

/** dct2 of each of `channels` planar [h, w] planes (one image, [C,H,W]). */
export function dct2Planes(pixels: ArrayLike<number>, channels: number, h: number, w: number): Float64Array {
  return mapPlanes(pixels, channels, h, w, dct2);
}

/** idct2 of each of `channels` planar [h, w] coefficient planes. */
export function idct2Planes(coeffs: ArrayLike<number>, channels: number, h: number, w: number): Float64Array {
  return mapPlanes(coeffs, channels, h, w, idct2);
}

function mapPlanes(src: ArrayLike<number>, channels: number, h: number, w: number, f: (p: ArrayLike<number>, h: number, w: number, out: Float64Array) => Float64Array): Float64Array {
  const hw = h * w;
  if (src.length !== channels * hw) throw new RangeError(`expected ${channels}×${h}×${w} = ${channels * hw} values, got ${src.length}`);
  const out = new Float64Array(channels * hw);
  const plane = new Float64Array(hw);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < hw; i++) plane[i] = src[c * hw + i];
    f(plane, h, w, out.subarray(c * hw, (c + 1) * hw));
  }
  return out;
}

/** The unit-norm basis image of frequency (u, v) on an h × w plane: B[i,j] = M_h[u,i] · M_w[v,j]. */
export function basisImage(u: number, v: number, h: number, w: number, out = new Float64Array(h * w)): Float64Array {
  const mh = dctMatrix(h), mw = dctMatrix(w);
  for (let i = 0; i < h; i++) {
    const a = mh[u * h + i];
    for (let j = 0; j < w; j++) out[i * w + j] = a * mw[v * w + j];
  }
  return out;
}

/**
 * The frequency band of (u, v) on an h × w plane: max(⌊u·n/h⌋, ⌊v·n/w⌋) with n = max(h, w) — for square
 * planes simply max(u, v), i.e. L-shaped rings around the DC coefficient, 0 … n−1.
 */
export function frequencyBand(u: number, v: number, h: number, w: number): number {
  const n = Math.max(h, w);
  return Math.max(Math.floor((u * n) / h), Math.floor((v * n) / w));
}

/**
 * A permutation of all channels·h·w DCT coordinates (index c·h·w + u·w + v), lowest frequencies first, as
 * SimBA-DCT (Guo et al., 2019) orders them: first every coordinate with band < max(1, round(fraction·n))
 * (the lowest `fraction` of each axis, all channels) in random order, then the higher bands one at a
 * time, each in random order.
 */
export function lowFrequencyOrder(channels: number, h: number, w: number, fraction: number, rng: Rng): Int32Array {
  const n = Math.max(h, w);
  const first = Math.min(n, Math.max(1, Math.round(fraction * n)));
  const groups: number[][] = Array.from({ length: n - first + 1 }, () => []);
  for (let c = 0; c < channels; c++) {
    for (let u = 0; u < h; u++) {
      for (let v = 0; v < w; v++) groups[Math.max(0, frequencyBand(u, v, h, w) - first + 1)].push(c * h * w + u * w + v);
    }
  }
  const order = new Int32Array(channels * h * w);
  let k = 0;
  for (const g of groups) {
    rng.shuffle(g);
    for (const idx of g) order[k++] = idx;
  }
  return order;
}
