/**
 * The statistics of randomized smoothing (Cohen, Rosenfeld & Kolter 2019): the standard normal quantile
 * Φ⁻¹, the binomial CDF through the regularized incomplete beta function, the two-sided binomial test of
 * PREDICT and the one-sided Clopper–Pearson lower bound of CERTIFY. Double precision throughout.
 */

// Wichura's AS241 (PPND16): Φ⁻¹ to about 1e-16 relative, three rational approximations by region.
const A = [
  3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
  33430.575583588128105, 2509.0809287301226727,
];
const B = [
  1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674,
  5226.495278852545925,
];
const C = [
  1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258,
  0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4,
];
const D = [
  1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966,
  5.475938084995344946e-4, 1.05075007164441684324e-9,
];
const E = [
  6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093,
  0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
];
const F = [
  1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5,
  1.4215117583164458887e-7, 2.04426310338993978564e-15,
];

function poly(c: readonly number[], x: number): number {
  let s = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) s = s * x + c[i];
  return s;
}

/** Φ⁻¹(p), the standard normal quantile; ±∞ at 0 and 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(A, r)) / poly(B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let v: number;
  if (r <= 5) {
    r -= 1.6;
    v = poly(C, r) / poly(D, r);
  } else {
    r -= 5;
    v = poly(E, r) / poly(F, r);
  }
  return q < 0 ? -v : v;
}

/**
 * δ(x) = ln Γ(x) − [(x − ½)·ln x − x + ½·ln 2π], the remainder of Stirling's formula, for x > 0: its
 * series from x ≥ 15 (error below 1e-17 there), shifted up by Γ's recurrence below. Kept apart from the
 * large terms so that ln B(a, b) for counts of 10⁵ does not lose digits to cancellation.
 */
function stirlingRemainder(x: number): number {
  if (x >= 15) {
    const z = 1 / (x * x);
    return (1 / x) * (1 / 12 - z * (1 / 360 - z * (1 / 1260 - z * (1 / 1680 - z * (1 / 1188)))));
  }
  return logGamma(x) - ((x - 0.5) * Math.log(x) - x + HALF_LOG_2PI);
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) return NaN;
  let shift = 0;
  while (x < 15) {
    shift += Math.log(x);
    x += 1;
  }
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + stirlingRemainder(x) - shift;
}

/**
 * ln[x^a (1 − x)^b / B(a, b)], the incomplete beta's prefactor, with Stirling's large terms combined
 * analytically: a·ln(x(a+b)/a) + b·ln((1−x)(a+b)/b) + ½·ln(ab/(a+b)) − ½·ln 2π + δ(a+b) − δ(a) − δ(b).
 */
function logBetaFront(x: number, a: number, b: number): number {
  const s = a + b;
  return (
    a * Math.log((x * s) / a) +
    b * Math.log(((1 - x) * s) / b) +
    0.5 * Math.log((a * b) / s) -
    HALF_LOG_2PI +
    stirlingRemainder(s) -
    stirlingRemainder(a) -
    stirlingRemainder(b)
  );
}

/** Continued fraction of I_x(a, b) (modified Lentz), converging fast for x < (a + 1)/(a + b + 2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  const qab = a + b,
    qap = a + 1,
    qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  // Terms needed grow like √max(a, b): a few hundred at 10⁶ samples.
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  throw new Error(`incomplete beta: continued fraction did not converge (a=${a}, b=${b}, x=${x})`);
}

/** The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1)) return NaN;
  if (x === 0) return 0;
  if (x === 1) return 1;
  const logFront = logBetaFront(x, a, b);
  // The fraction converges on the side below the mode; the other side by symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(X ≤ k) for X ~ Binomial(n, p): I_{1−p}(n − k, k + 1). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  k = Math.floor(k);
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  return regularizedBeta(1 - p, n - k, k + 1);
}

/**
 * Two-sided binomial test of H0: p = 1/2 for k successes in n trials (scipy's binom_test, which Cohen et
 * al.'s PREDICT uses): the probability, under H0, of an outcome at most as likely as k. At p = 1/2 the
 * distribution is symmetric, so that is 2·P(X ≤ min(k, n − k)), capped at 1.
 */
export function binomialTestTwoSided(k: number, n: number): number {
  checkCounts(k, n, 'binomial test');
  if (n === 0 || 2 * k === n) return 1;
  return Math.min(1, 2 * binomialCdf(Math.min(k, n - k), n, 0.5));
}

/**
 * One-sided Clopper–Pearson lower confidence bound on a binomial proportion at level 1 − alpha, for k
 * successes in n trials: the p at which P(X ≥ k | p) = alpha, i.e. the alpha quantile of Beta(k, n − k + 1)
 * (statsmodels' proportion_confint(k, n, alpha=2·alpha, method="beta")[0], as CERTIFY calls it). 0 for k = 0;
 * alpha^(1/n) for k = n. Found by bisection on the monotone tail, to the last bits.
 */
export function clopperPearsonLower(k: number, n: number, alpha: number): number {
  checkCounts(k, n, 'Clopper–Pearson bound');
  if (!(alpha > 0 && alpha < 1)) throw new Error(`Clopper–Pearson bound: alpha = ${alpha}, expected a number in (0, 1)`);
  if (k === 0) return 0;
  if (k === n) return Math.pow(alpha, 1 / n);
  // P(X ≥ k | p) = I_p(k, n − k + 1) increases with p.
  let lo = 0,
    hi = 1;
  for (let i = 0; i < 2000; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (regularizedBeta(mid, k, n - k + 1) < alpha) lo = mid;
    else hi = mid;
  }
  return lo;
}

function checkCounts(k: number, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0 || k > n)
    throw new Error(`${what}: counts k = ${k}, n = ${n}: expected whole numbers with 0 ≤ k ≤ n`);
}
