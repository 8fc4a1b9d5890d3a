/**
 * Complex FFTs of any length and the 2-D DFT of real planes, for the frequency lens (spectra, low-pass
 * filter, FFT-based DCT).
 *
 * Conventions: the forward transform is unnormalised, X_k = Σ_j x_j e^{−2πi jk/n}; the inverse carries the
 * 1/n, x_j = (1/n) Σ_k X_k e^{+2πi jk/n}. Callers that want orthonormal scaling divide by √n themselves.
 *
 * Lengths whose prime factors are all ≤ 64 use an iterative Stockham autosort transform (radix 4, 2, 3 and
 * a generic radix for 5 … 61), which needs no bit reversal and keeps the innermost loop contiguous; any
 * other length uses Bluestein's chirp-z transform on a power-of-two plan. Plans (factors, twiddles) are
 * cached per length. Every transform works on `batch` interleaved sequences at once — element t of
 * sequence b at index t·batch + b — so the columns of a row-major plane are transformed in one call.
 */

/** A DFT of one length, applied in place to `batch` interleaved complex sequences (re, im). */
export interface FftPlan {
  readonly n: number;
  forward(re: Float64Array, im: Float64Array, batch?: number): void;
  /** The inverse DFT including the 1/n. */
  inverse(re: Float64Array, im: Float64Array, batch?: number): void;
}

/** A complex 2-D array, row-major h × w. */
export interface Complex2D {
  re: Float64Array;
  im: Float64Array;
}

/** Prime factors above this go to Bluestein: a generic radix-p stage costs p operations per element. */
const LARGEST_DIRECT_RADIX = 64;

const plans = new Map<number, FftPlan>();

/** The cached plan for length n (a positive integer). */
export function fftPlan(n: number): FftPlan {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`fftPlan: length ${n}: expected a positive integer`);
  let plan = plans.get(n);
  if (!plan) {
    const factors = factorise(n);
    plan = factors[factors.length - 1] > LARGEST_DIRECT_RADIX ? new BluesteinPlan(n) : new StockhamPlan(n, factors);
    plans.set(n, plan);
  }
  return plan;
}

/** In-place forward DFT of one complex sequence (re.length = im.length = n). */
export function fft(re: Float64Array, im: Float64Array): void {
  fftPlan(checkPair(re, im)).forward(re, im);
}

/** In-place inverse DFT (with 1/n) of one complex sequence. */
export function ifft(re: Float64Array, im: Float64Array): void {
  fftPlan(checkPair(re, im)).inverse(re, im);
}

/** Forward 2-D DFT of a complex h × w array: rows, then columns. Returns new arrays. */
export function fft2(re: ArrayLike<number>, im: ArrayLike<number>, h: number, w: number): Complex2D {
  return transform2(re, im, h, w, false);
}

/** Forward 2-D DFT of a real h × w plane (row-major). */
export function fft2Real(plane: ArrayLike<number>, h: number, w: number): Complex2D {
  return transform2(plane, new Float64Array(h * w), h, w, false);
}

/** Inverse 2-D DFT (with 1/(h·w)) of a complex h × w array. Returns new arrays. */
export function ifft2(re: ArrayLike<number>, im: ArrayLike<number>, h: number, w: number): Complex2D {
  return transform2(re, im, h, w, true);
}

/**
 * The 2-D DFTs of two real planes with one complex transform: F(a + i·b) = A + i·B, and the Hermitian
 * symmetry of A and B separates them: A_k = (Z_k + conj Z_{−k}) / 2, B_k = (Z_k − conj Z_{−k}) / 2i.
 */
export function fft2RealPair(a: ArrayLike<number>, b: ArrayLike<number>, h: number, w: number): [Complex2D, Complex2D] {
  const z = transform2(a, b, h, w, false);
  const fa: Complex2D = { re: new Float64Array(h * w), im: new Float64Array(h * w) };
  const fb: Complex2D = { re: new Float64Array(h * w), im: new Float64Array(h * w) };
  for (let y = 0; y < h; y++) {
    const ny = (h - y) % h;
    for (let x = 0; x < w; x++) {
      const k = y * w + x,
        nk = ny * w + ((w - x) % w);
      const zr = z.re[k],
        zi = z.im[k],
        cr = z.re[nk],
        ci = -z.im[nk];
      fa.re[k] = (zr + cr) / 2;
      fa.im[k] = (zi + ci) / 2;
      fb.re[k] = (zi - ci) / 2;
      fb.im[k] = (cr - zr) / 2;
    }
  }
  return [fa, fb];
}

/**
 * The centred layout of an h × w spectrum (fftshift): the value at DFT index (y, x) moves to
 * ((y + ⌊h/2⌋) mod h, (x + ⌊w/2⌋) mod w), so DC lands at (⌊h/2⌋, ⌊w/2⌋) and position p holds
 * frequency p − ⌊n/2⌋.
 */
export function fftShift(values: ArrayLike<number>, h: number, w: number, out = new Float64Array(h * w)): Float64Array {
  const oy = Math.floor(h / 2),
    ox = Math.floor(w / 2);
  for (let y = 0; y < h; y++) {
    const row = ((y + oy) % h) * w;
    for (let x = 0; x < w; x++) out[row + ((x + ox) % w)] = values[y * w + x];
  }
  return out;
}

/** The signed frequency of DFT index k of length n: k below ⌈n/2⌉, k − n above, in −⌊n/2⌋ … ⌈n/2⌉ − 1. */
export function signedFrequency(k: number, n: number): number {
  return k < Math.ceil(n / 2) ? k : k - n;
}

/** The frequency at position p of the centred (fftshifted) layout of length n: p − ⌊n/2⌋. */
export function centredFrequency(p: number, n: number): number {
  return p - Math.floor(n / 2);
}

/** out[j·rows + i] = src[i·cols + j]: the transpose of a row-major rows × cols array. */
export function transpose(src: ArrayLike<number>, rows: number, cols: number, out = new Float64Array(rows * cols)): Float64Array {
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = src[base + j];
  }
  return out;
}

function transform2(re: ArrayLike<number>, im: ArrayLike<number>, h: number, w: number, inverse: boolean): Complex2D {
  if (re.length !== h * w || im.length !== h * w)
    throw new RangeError(`2-D DFT: expected ${h}×${w} = ${h * w} values, got ${re.length} (re) and ${im.length} (im)`);
  // Rows first: as columns of the transpose, so every pass is one batched call with contiguous inner loops.
  const tr = transpose(re, h, w),
    ti = transpose(im, h, w);
  const rows = fftPlan(w),
    cols = fftPlan(h);
  if (inverse) rows.inverse(tr, ti, h);
  else rows.forward(tr, ti, h);
  const out = { re: transpose(tr, w, h), im: transpose(ti, w, h) };
  if (inverse) cols.inverse(out.re, out.im, w);
  else cols.forward(out.re, out.im, w);
  return out;
}

function checkPair(re: Float64Array, im: Float64Array): number {
  if (re.length !== im.length) throw new RangeError(`fft: re has ${re.length} values but im has ${im.length}`);
  return re.length;
}

/** Prime factors in ascending order, with pairs of 2 merged into 4 (radix-4 stages are the cheapest). */
function factorise(n: number): number[] {
  const out: number[] = [];
  let m = n;
  while (m % 4 === 0) {
    out.push(4);
    m /= 4;
  }
  if (m % 2 === 0) {
    out.push(2);
    m /= 2;
  }
  for (let p = 3; p * p <= m; p += 2) {
    while (m % p === 0) {
      out.push(p);
      m /= p;
    }
  }
  if (m > 1) out.push(m);
  if (out.length === 0) out.push(1);
  return out.sort((a, b) => a - b);
}

/** Scratch arrays that grow on demand and are reused across calls (the engine is single-threaded). */
class Scratch {
  re = new Float64Array(0);
  im = new Float64Array(0);
  ensure(size: number): void {
    if (this.re.length < size) {
      this.re = new Float64Array(size);
      this.im = new Float64Array(size);
    }
  }
}

/** Inverse through the forward transform: x = conj(F(conj X)) / n. */
function inverseViaForward(plan: FftPlan, re: Float64Array, im: Float64Array, batch: number): void {
  const size = plan.n * batch;
  for (let i = 0; i < size; i++) im[i] = -im[i];
  plan.forward(re, im, batch);
  const s = 1 / plan.n;
  for (let i = 0; i < size; i++) {
    re[i] *= s;
    im[i] *= -s;
  }
}

interface Stage {
  /** Radix. */
  p: number;
  /** Length of the sub-transforms already done (product of the earlier radices). */
  l: number;
  /** Number of sub-sequences after this stage: n / (l·p). */
  m: number;
  /** W_{l·p}^{q·k} for k < l, q < p, as (cos, sin) pairs at 2(k·p + q). */
  twiddles: Float64Array;
  /** W_p^r for r < p, as (cos, sin) pairs (generic radix only). */
  roots: Float64Array;
}

/**
 * Stockham decimation-in-time. Before a stage with radix p the data holds, for each of M = p·m
 * sub-sequences r (the elements r, r + M, r + 2M, …), its length-l DFT at index (k·M + r)·batch.
 * The stage merges the p sub-sequences r′ + q·m (q < p) into one of length l·p:
 *   Y[k + l·s] = Σ_q W_{lp}^{qk} W_p^{qs} Y_q[k],
 * written at ((k + l·s)·m + r′)·batch. After the last stage (l = n, m = 1) the data is X in order.
 */
class StockhamPlan implements FftPlan {
  private readonly stages: Stage[] = [];
  private readonly scratch = new Scratch();

  constructor(
    readonly n: number,
    factors: number[],
  ) {
    let l = 1;
    for (const p of factors) {
      if (p === 1) continue;
      const lp = l * p;
      const twiddles = new Float64Array(2 * lp);
      for (let k = 0; k < l; k++) {
        for (let q = 0; q < p; q++) {
          const a = (-2 * Math.PI * ((q * k) % lp)) / lp;
          twiddles[2 * (k * p + q)] = Math.cos(a);
          twiddles[2 * (k * p + q) + 1] = Math.sin(a);
        }
      }
      const roots = new Float64Array(2 * p);
      for (let r = 0; r < p; r++) {
        roots[2 * r] = Math.cos((-2 * Math.PI * r) / p);
        roots[2 * r + 1] = Math.sin((-2 * Math.PI * r) / p);
      }
      this.stages.push({ p, l, m: n / lp, twiddles, roots });
      l = lp;
    }
  }

  forward(re: Float64Array, im: Float64Array, batch = 1): void {
    const size = this.n * batch;
    if (re.length < size || im.length < size)
      throw new RangeError(`fft: ${this.n} × batch ${batch} needs ${size} values, got ${Math.min(re.length, im.length)}`);
    this.scratch.ensure(size);
    let xr = re,
      xi = im,
      yr = this.scratch.re,
      yi = this.scratch.im;
    for (const stage of this.stages) {
      runStage(stage, batch, xr, xi, yr, yi);
      [xr, xi, yr, yi] = [yr, yi, xr, xi];
    }
    if (xr !== re) {
      re.set(xr.subarray(0, size));
      im.set(xi.subarray(0, size));
    }
  }

  inverse(re: Float64Array, im: Float64Array, batch = 1): void {
    inverseViaForward(this, re, im, batch);
  }
}

function runStage(stage: Stage, batch: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { p, l, m, twiddles: tw } = stage;
  const run = m * batch; // contiguous elements per (k, q): all r′ and all sequences of the batch
  const inStride = p * run; // k → k + 1 on input
  const outStride = l * run; // s → s + 1 on output
  if (p === 2) {
    for (let k = 0; k < l; k++) {
      const w1r = tw[2 * (2 * k + 1)],
        w1i = tw[2 * (2 * k + 1) + 1];
      const i0 = k * inStride,
        i1 = i0 + run,
        o0 = k * run,
        o1 = o0 + outStride;
      for (let j = 0; j < run; j++) {
        const ar = xr[i0 + j],
          ai = xi[i0 + j];
        const cr = xr[i1 + j],
          ci = xi[i1 + j];
        const br = cr * w1r - ci * w1i,
          bi = cr * w1i + ci * w1r;
        yr[o0 + j] = ar + br;
        yi[o0 + j] = ai + bi;
        yr[o1 + j] = ar - br;
        yi[o1 + j] = ai - bi;
      }
    }
  } else if (p === 4) {
    for (let k = 0; k < l; k++) {
      const t = 8 * k;
      const w1r = tw[t + 2],
        w1i = tw[t + 3],
        w2r = tw[t + 4],
        w2i = tw[t + 5],
        w3r = tw[t + 6],
        w3i = tw[t + 7];
      const i0 = k * inStride,
        i1 = i0 + run,
        i2 = i1 + run,
        i3 = i2 + run;
      const o0 = k * run,
        o1 = o0 + outStride,
        o2 = o1 + outStride,
        o3 = o2 + outStride;
      for (let j = 0; j < run; j++) {
        const t0r = xr[i0 + j],
          t0i = xi[i0 + j];
        let cr = xr[i1 + j],
          ci = xi[i1 + j];
        const t1r = cr * w1r - ci * w1i,
          t1i = cr * w1i + ci * w1r;
        cr = xr[i2 + j];
        ci = xi[i2 + j];
        const t2r = cr * w2r - ci * w2i,
          t2i = cr * w2i + ci * w2r;
        cr = xr[i3 + j];
        ci = xi[i3 + j];
        const t3r = cr * w3r - ci * w3i,
          t3i = cr * w3i + ci * w3r;
        const a0r = t0r + t2r,
          a0i = t0i + t2i,
          a1r = t0r - t2r,
          a1i = t0i - t2i;
        const a2r = t1r + t3r,
          a2i = t1i + t3i,
          a3r = t1r - t3r,
          a3i = t1i - t3i;
        yr[o0 + j] = a0r + a2r;
        yi[o0 + j] = a0i + a2i;
        yr[o2 + j] = a0r - a2r;
        yi[o2 + j] = a0i - a2i;
        // Forward radix 4: out1 = a1 − i·a3, out3 = a1 + i·a3.
        yr[o1 + j] = a1r + a3i;
        yi[o1 + j] = a1i - a3r;
        yr[o3 + j] = a1r - a3i;
        yi[o3 + j] = a1i + a3r;
      }
    }
  } else if (p === 3) {
    const c = Math.sqrt(3) / 2;
    for (let k = 0; k < l; k++) {
      const t = 6 * k;
      const w1r = tw[t + 2],
        w1i = tw[t + 3],
        w2r = tw[t + 4],
        w2i = tw[t + 5];
      const i0 = k * inStride,
        i1 = i0 + run,
        i2 = i1 + run;
      const o0 = k * run,
        o1 = o0 + outStride,
        o2 = o1 + outStride;
      for (let j = 0; j < run; j++) {
        const t0r = xr[i0 + j],
          t0i = xi[i0 + j];
        let cr = xr[i1 + j],
          ci = xi[i1 + j];
        const t1r = cr * w1r - ci * w1i,
          t1i = cr * w1i + ci * w1r;
        cr = xr[i2 + j];
        ci = xi[i2 + j];
        const t2r = cr * w2r - ci * w2i,
          t2i = cr * w2i + ci * w2r;
        const sr = t1r + t2r,
          si = t1i + t2i,
          dr = t1r - t2r,
          di = t1i - t2i;
        const mr = t0r - sr / 2,
          mi = t0i - si / 2;
        yr[o0 + j] = t0r + sr;
        yi[o0 + j] = t0i + si;
        // W_3 = −1/2 − i√3/2: out1 = m − i(√3/2)d, out2 = m + i(√3/2)d.
        yr[o1 + j] = mr + c * di;
        yi[o1 + j] = mi - c * dr;
        yr[o2 + j] = mr - c * di;
        yi[o2 + j] = mi + c * dr;
      }
    }
  } else {
    oddRadixStage(stage, run, inStride, outStride, xr, xi, yr, yi);
  }
}

/**
 * A generic odd radix p, pairing q with p − q: with a_q = t_q + t_{p−q}, b_q = t_q − t_{p−q} and
 * θ = 2π·q·s/p, out_s = t_0 + Σ a_q cos θ − i Σ b_q sin θ and out_{p−s} the same with +i — a quarter of
 * the multiplications of the plain p-point sum.
 */
function oddRadixStage(
  stage: Stage,
  run: number,
  inStride: number,
  outStride: number,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
): void {
  const { p, l, twiddles: tw, roots } = stage;
  const half = (p - 1) / 2;
  const ar = new Float64Array(half + 1),
    ai = new Float64Array(half + 1),
    br = new Float64Array(half + 1),
    bi = new Float64Array(half + 1);
  for (let k = 0; k < l; k++) {
    const i0 = k * inStride,
      o0 = k * run;
    const twk = 2 * k * p;
    for (let j = 0; j < run; j++) {
      const t0r = xr[i0 + j],
        t0i = xi[i0 + j];
      let sumr = t0r,
        sumi = t0i;
      for (let q = 1; q <= half; q++) {
        let cr = xr[i0 + q * run + j],
          ci = xi[i0 + q * run + j];
        let wr = tw[twk + 2 * q],
          wi = tw[twk + 2 * q + 1];
        const ur = cr * wr - ci * wi,
          ui = cr * wi + ci * wr;
        cr = xr[i0 + (p - q) * run + j];
        ci = xi[i0 + (p - q) * run + j];
        wr = tw[twk + 2 * (p - q)];
        wi = tw[twk + 2 * (p - q) + 1];
        const vr = cr * wr - ci * wi,
          vi = cr * wi + ci * wr;
        ar[q] = ur + vr;
        ai[q] = ui + vi;
        br[q] = ur - vr;
        bi[q] = ui - vi;
        sumr += ar[q];
        sumi += ai[q];
      }
      yr[o0 + j] = sumr;
      yi[o0 + j] = sumi;
      for (let s = 1; s <= half; s++) {
        // roots hold (cos, −sin) of 2πr/p; r = q·s mod p.
        let cr = t0r,
          ci = t0i,
          sr = 0,
          si = 0,
          r = 0;
        for (let q = 1; q <= half; q++) {
          r += s;
          if (r >= p) r -= p;
          const c = roots[2 * r],
            sn = -roots[2 * r + 1];
          cr += ar[q] * c;
          ci += ai[q] * c;
          sr += br[q] * sn;
          si += bi[q] * sn;
        }
        // −i·(sr + i·si) = si − i·sr
        yr[o0 + s * outStride + j] = cr + si;
        yi[o0 + s * outStride + j] = ci - sr;
        yr[o0 + (p - s) * outStride + j] = cr - si;
        yi[o0 + (p - s) * outStride + j] = ci + sr;
      }
    }
  }
}

/**
 * Bluestein: with jk = (j² + k² − (k−j)²)/2, X_k = w_k Σ_j (x_j w_j) conj(w_{k−j}) for the chirp
 * w_j = e^{−πi j²/n} — a circular convolution computed with power-of-two FFTs of length m ≥ 2n − 1.
 */
class BluesteinPlan implements FftPlan {
  private readonly m: number;
  private readonly inner: FftPlan;
  private readonly chirpRe: Float64Array;
  private readonly chirpIm: Float64Array;
  /** The DFT of the convolution kernel conj(w_j), j = −(n−1) … n−1 wrapped modulo m. */
  private readonly kernelRe: Float64Array;
  private readonly kernelIm: Float64Array;
  private readonly scratch = new Scratch();

  constructor(readonly n: number) {
    let m = 1;
    while (m < 2 * n - 1) m *= 2;
    this.m = m;
    this.inner = fftPlan(m);
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    this.kernelRe = new Float64Array(m);
    this.kernelIm = new Float64Array(m);
    for (let j = 0; j < n; j++) {
      // j² mod 2n keeps the angle small, hence accurate, for large n.
      const a = (-Math.PI * ((j * j) % (2 * n))) / n;
      this.chirpRe[j] = Math.cos(a);
      this.chirpIm[j] = Math.sin(a);
      this.kernelRe[j] = this.chirpRe[j];
      this.kernelIm[j] = -this.chirpIm[j];
      if (j > 0) {
        this.kernelRe[m - j] = this.chirpRe[j];
        this.kernelIm[m - j] = -this.chirpIm[j];
      }
    }
    this.inner.forward(this.kernelRe, this.kernelIm);
  }

  forward(re: Float64Array, im: Float64Array, batch = 1): void {
    const { n, m } = this;
    if (re.length < n * batch || im.length < n * batch)
      throw new RangeError(`fft: ${n} × batch ${batch} needs ${n * batch} values, got ${Math.min(re.length, im.length)}`);
    this.scratch.ensure(m * batch);
    const ar = this.scratch.re,
      ai = this.scratch.im;
    ar.fill(0, n * batch, m * batch);
    ai.fill(0, n * batch, m * batch);
    multiplyRows(re, im, this.chirpRe, this.chirpIm, n, batch, ar, ai);
    this.inner.forward(ar, ai, batch);
    multiplyRows(ar, ai, this.kernelRe, this.kernelIm, m, batch, ar, ai);
    this.inner.inverse(ar, ai, batch);
    multiplyRows(ar, ai, this.chirpRe, this.chirpIm, n, batch, re, im);
  }

  inverse(re: Float64Array, im: Float64Array, batch = 1): void {
    inverseViaForward(this, re, im, batch);
  }
}

/** out[j·batch + b] = x[j·batch + b] · w[j] (complex) for j < rows; out may be x. */
function multiplyRows(
  xRe: Float64Array,
  xIm: Float64Array,
  wRe: Float64Array,
  wIm: Float64Array,
  rows: number,
  batch: number,
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  for (let j = 0; j < rows; j++) {
    const wr = wRe[j],
      wi = wIm[j];
    for (let b = j * batch, end = b + batch; b < end; b++) {
      const xr = xRe[b],
        xi = xIm[b];
      outRe[b] = xr * wr - xi * wi;
      outIm[b] = xr * wi + xi * wr;
    }
  }
}
