/**
 * The orthonormal 2-D DCT-II on planar images, its basis images and a low-frequency-first ordering of the
 * basis (SimBA-DCT; the frequency analyses reuse the transform and the bands).
 *
 * 1-D: X_u = α_u Σ_i x_i cos(π(2i+1)u / 2n), α_0 = √(1/n), α_u = √(2/n) (u > 0). As a matrix M
 * (M[u,i] = α_u cos(π(2i+1)u / 2n)) it is orthogonal: M Mᵀ = I, so the inverse (DCT-III) is Mᵀ.
 * 2-D on an h × w plane (row-major): X = M_h x M_wᵀ, x = M_hᵀ X M_w. The basis image of frequency (u,v) is
 * the outer product of rows u of M_h and v of M_w; the h·w basis images are orthonormal.
 *
 * dct2/idct2 do not multiply by M (O(n³) per plane) but use one length-n complex FFT per two sequences
 * (Makhoul 1980): with v = (x_0, x_2, x_4, …, x_5, x_3, x_1) and V = DFT(v),
 * Σ_i x_i cos(π(2i+1)u / 2n) = Re(e^{−iπu/2n} V_u); the inverse rebuilds V_u = e^{iπu/2n}(c_u − i·c_{n−u})
 * from the unscaled coefficients c (c_n = 0) and un-permutes the inverse DFT. Two real sequences share one
 * complex transform (the second as the imaginary part).
 */
import type { Rng } from '../util/random';
import { fftPlan, transpose } from './fft';

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

/** Forward 2-D DCT-II of one h × w plane: X = M_h x M_wᵀ (columns, then rows as columns of the transpose). */
export function dct2(plane: ArrayLike<number>, h: number, w: number, out = new Float64Array(h * w)): Float64Array {
  const cols = dctColumns(plane, h, w, new Float64Array(h * w));
  const rows = dctColumns(transpose(cols, h, w), w, h, cols);
  return transpose(rows, w, h, out);
}

/** Inverse 2-D DCT (DCT-III) of one h × w coefficient plane: x = M_hᵀ X M_w. */
export function idct2(coeffs: ArrayLike<number>, h: number, w: number, out = new Float64Array(h * w)): Float64Array {
  const cols = idctColumns(coeffs, h, w, new Float64Array(h * w));
  const rows = idctColumns(transpose(cols, h, w), w, h, cols);
  return transpose(rows, w, h, out);
}

/** Per-length tables of the FFT-based DCT. */
interface DctTables {
  /** v_t = x_{perm[t]}: even indices ascending, then odd indices descending. */
  perm: Int32Array;
  /** α_u cos(πu/2n), α_u sin(πu/2n): forward post-rotation with the orthonormal scale. */
  fwdCos: Float64Array;
  fwdSin: Float64Array;
  /** cos(πu/2n)/α_u, sin(πu/2n)/α_u: inverse pre-rotation undoing the scale. */
  invCos: Float64Array;
  invSin: Float64Array;
}

const tables = new Map<number, DctTables>();

function dctTables(n: number): DctTables {
  let t = tables.get(n);
  if (!t) {
    const perm = new Int32Array(n);
    for (let i = 0; 2 * i < n; i++) perm[i] = 2 * i;
    for (let i = 0; 2 * i + 1 < n; i++) perm[n - 1 - i] = 2 * i + 1;
    t = { perm, fwdCos: new Float64Array(n), fwdSin: new Float64Array(n), invCos: new Float64Array(n), invSin: new Float64Array(n) };
    for (let u = 0; u < n; u++) {
      const alpha = Math.sqrt((u === 0 ? 1 : 2) / n),
        theta = (Math.PI * u) / (2 * n);
      t.fwdCos[u] = alpha * Math.cos(theta);
      t.fwdSin[u] = alpha * Math.sin(theta);
      t.invCos[u] = Math.cos(theta) / alpha;
      t.invSin[u] = Math.sin(theta) / alpha;
    }
    tables.set(n, t);
  }
  return t;
}

/**
 * Orthonormal DCT-II of every column of a row-major n × batch array (src may be out). Columns j and
 * j + ⌈batch/2⌉ travel as the real and imaginary parts of one complex sequence Z = V_a + i·V_b; since
 * V_a, V_b are spectra of real sequences, V_a = (Z_u + conj Z_{n−u})/2 and V_b = (Z_u − conj Z_{n−u})/2i.
 */
function dctColumns(src: ArrayLike<number>, n: number, batch: number, out: Float64Array): Float64Array {
  const { perm, fwdCos, fwdSin } = dctTables(n);
  const half = Math.ceil(batch / 2),
    rest = batch - half;
  const re = new Float64Array(n * half),
    im = new Float64Array(n * half);
  for (let t = 0; t < n; t++) {
    const from = perm[t] * batch,
      to = t * half;
    for (let j = 0; j < half; j++) re[to + j] = src[from + j];
    for (let j = 0; j < rest; j++) im[to + j] = src[from + half + j];
  }
  fftPlan(n).forward(re, im, half);
  for (let u = 0; u < n; u++) {
    const c = fwdCos[u],
      s = fwdSin[u],
      row = u * half,
      mirror = ((n - u) % n) * half,
      o = u * batch;
    for (let j = 0; j < half; j++) {
      const zr = re[row + j],
        zi = im[row + j],
        mr = re[mirror + j],
        mi = im[mirror + j];
      // Re(e^{−iθ} V) = cos θ · Re V + sin θ · Im V
      out[o + j] = (c * (zr + mr) + s * (zi - mi)) / 2;
      if (j < rest) out[o + half + j] = (c * (zi + mi) + s * (mr - zr)) / 2;
    }
  }
  return out;
}

/** Orthonormal DCT-III (the inverse) of every column of a row-major n × batch array (src may be out). */
function idctColumns(src: ArrayLike<number>, n: number, batch: number, out: Float64Array): Float64Array {
  const { perm, invCos, invSin } = dctTables(n);
  const half = Math.ceil(batch / 2),
    rest = batch - half;
  const re = new Float64Array(n * half),
    im = new Float64Array(n * half);
  for (let u = 0; u < n; u++) {
    const c = invCos[u],
      s = invSin[u],
      row = u * batch,
      mirror = (n - u) * batch,
      to = u * half;
    for (let j = 0; j < half; j++) {
      // V_u = e^{iθ}(c_u − i·c_{n−u}) for each of the two columns, then Z = V_a + i·V_b.
      const pa = src[row + j],
        qa = u === 0 ? 0 : src[mirror + j];
      const pb = j < rest ? src[row + half + j] : 0,
        qb = u === 0 || j >= rest ? 0 : src[mirror + half + j];
      const ar = c * pa + s * qa,
        ai = s * pa - c * qa;
      const br = c * pb + s * qb,
        bi = s * pb - c * qb;
      re[to + j] = ar - bi;
      im[to + j] = ai + br;
    }
  }
  fftPlan(n).inverse(re, im, half);
  for (let t = 0; t < n; t++) {
    const o = perm[t] * batch,
      from = t * half;
    for (let j = 0; j < half; j++) out[o + j] = re[from + j];
    for (let j = 0; j < rest; j++) out[o + half + j] = im[from + j];
  }
  return out;
}

/** dct2 of each of `channels` planar [h, w] planes (one image, [C,H,W]). */
export function dct2Planes(pixels: ArrayLike<number>, channels: number, h: number, w: number): Float64Array {
  return mapPlanes(pixels, channels, h, w, dct2);
}

/** idct2 of each of `channels` planar [h, w] coefficient planes. */
export function idct2Planes(coeffs: ArrayLike<number>, channels: number, h: number, w: number): Float64Array {
  return mapPlanes(coeffs, channels, h, w, idct2);
}

function mapPlanes(
  src: ArrayLike<number>,
  channels: number,
  h: number,
  w: number,
  f: (p: ArrayLike<number>, h: number, w: number, out: Float64Array) => Float64Array,
): Float64Array {
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
  const mh = dctMatrix(h),
    mw = dctMatrix(w);
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
