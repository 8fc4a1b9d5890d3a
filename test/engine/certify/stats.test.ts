/**
 * Randomized smoothing's statistics against independent references: Φ⁻¹ against published values and
 * against Φ computed by quadrature; the binomial CDF and test against direct summation of the pmf (log
 * factorials summed term by term, not the incomplete beta); Clopper–Pearson against closed forms and against
 * bisection on that directly summed tail.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomialCdf,
  binomialTestTwoSided,
  clopperPearsonLower,
  logGamma,
  normalQuantile,
  regularizedBeta,
} from '../../../src/engine/certify/stats';

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b} (relative ${Math.abs(a - b) / Math.abs(b)})`);

/** Φ(x) = ½ + ∫₀ˣ φ by composite Simpson's rule (the integrand is smooth: 20,000 panels give ~1e-16). */
function phi(x: number): number {
  const m = 20_000,
    h = x / m;
  const f = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  // Kahan summation: 20,000 terms would otherwise lose ~1e-13.
  let s = f(0) + f(x),
    c = 0;
  for (let i = 1; i < m; i++) {
    const y = (i % 2 ? 4 : 2) * f(i * h) - c;
    const t = s + y;
    c = t - s - y;
    s = t;
  }
  return 0.5 + (s * h) / 3;
}

/** ln k! by summing logs (independent of the Stirling-based logGamma). */
const logFactorials = (n: number): Float64Array => {
  const out = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) out[i] = out[i - 1] + Math.log(i);
  return out;
};

/** P(X ≥ k) for X ~ Bin(n, p) by summing the pmf directly. */
function upperTail(k: number, n: number, p: number, lf: Float64Array): number {
  let s = 0;
  for (let i = k; i <= n; i++) s += Math.exp(lf[n] - lf[i] - lf[n - i] + i * Math.log(p) + (n - i) * Math.log1p(-p));
  return s;
}
function lowerTail(k: number, n: number, p: number, lf: Float64Array): number {
  let s = 0;
  for (let i = 0; i <= k; i++) s += Math.exp(lf[n] - lf[i] - lf[n - i] + i * Math.log(p) + (n - i) * Math.log1p(-p));
  return s;
}

describe('normal quantile (AS241)', () => {
  it('matches published values', () => {
    close(normalQuantile(0.975), 1.959963984540054, 1e-15, 'Φ⁻¹(0.975)');
    close(normalQuantile(0.999), 3.090232306167813, 1e-15, 'Φ⁻¹(0.999)');
    close(normalQuantile(0.95), 1.6448536269514722, 1e-15, 'Φ⁻¹(0.95)');
    close(normalQuantile(0.025), -1.959963984540054, 1e-15, 'Φ⁻¹(0.025)');
    // scipy.stats.norm.ppf, in the tail regions (r ≤ 5 and r > 5).
    close(normalQuantile(1e-5), -4.264890793922825, 1e-14, 'Φ⁻¹(1e-5)');
    close(normalQuantile(0.9999), 3.719016485455709, 1e-14, 'Φ⁻¹(0.9999)');
    close(normalQuantile(1e-10), -6.361340902404056, 1e-14, 'Φ⁻¹(1e-10)');
    close(normalQuantile(1e-20), -9.262340089798409, 1e-14, 'Φ⁻¹(1e-20)');
    assert.equal(normalQuantile(0.5), 0);
    assert.equal(normalQuantile(0), -Infinity);
    assert.equal(normalQuantile(1), Infinity);
    assert.ok(Number.isNaN(normalQuantile(1.5)));
  });
  it('inverts Φ computed by quadrature (central region and the first tail region; the far tail is checked by value above)', () => {
    // Φ(x) carries ~1e-16 absolute error, which moves x by 1e-16/φ(x): the tolerance follows it.
    for (const x of [-3.5, -3, -1.2, -0.3, 0.05, 0.7, 1.1, 2.2, 3.2, 4]) {
      const density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      const err = Math.abs(normalQuantile(phi(x)) - x);
      assert.ok(err < 1e-14 / density + 1e-13, `x = ${x}: error ${err}`);
    }
  });
});

describe('binomial distribution', () => {
  const lf = logFactorials(2000);
  it('logGamma agrees with summed log factorials', () => {
    assert.ok(Math.abs(logGamma(1)) < 1e-15 && Math.abs(logGamma(2)) < 1e-15, 'ln 0! = ln 1! = 0');
    for (const n of [2, 10, 14, 15, 16, 100, 2000]) close(logGamma(n + 1), lf[n], 1e-13, `ln ${n}!`);
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'ln Γ(½)');
  });
  it('CDF via the incomplete beta equals direct summation', () => {
    for (const [k, n, p] of [
      [0, 10, 0.3],
      [3, 10, 0.3],
      [9, 10, 0.3],
      [40, 100, 0.5],
      [480, 1000, 0.5],
      [990, 1000, 0.985],
      [1500, 2000, 0.76],
    ])
      close(binomialCdf(k, n, p), lowerTail(k, n, p, lf), 1e-9, `P(X ≤ ${k}), n=${n}, p=${p}`);
    assert.equal(binomialCdf(10, 10, 0.3), 1);
    assert.equal(binomialCdf(-1, 10, 0.3), 0);
  });
  it('the two-sided test at p = ½ equals summing every outcome at most as likely as k', () => {
    for (const [k, n] of [
      [60, 100],
      [40, 100],
      [7, 9],
      [0, 20],
      [520, 1000],
      [1100, 2000],
      [1000, 2000],
    ]) {
      const pmf = (i: number) => Math.exp(lf[n] - lf[i] - lf[n - i] - n * Math.LN2);
      let s = 0;
      for (let i = 0; i <= n; i++) if (pmf(i) <= pmf(k) * (1 + 1e-7)) s += pmf(i);
      close(binomialTestTwoSided(k, n), Math.min(1, s), 1e-9, `test ${k}/${n}`);
    }
  });
});

describe('Clopper–Pearson lower bound', () => {
  it('closed forms: nA = n gives alpha^(1/n), nA = 0 gives 0, nA = 1 gives 1 − (1 − alpha)^(1/n)', () => {
    for (const n of [1, 10, 1000, 100_000]) {
      close(clopperPearsonLower(n, n, 0.001), Math.pow(0.001, 1 / n), 1e-14, `nA = n = ${n}`);
      assert.equal(clopperPearsonLower(0, n, 0.001), 0);
    }
    for (const n of [2, 1000, 100_000])
      close(clopperPearsonLower(1, n, 0.001), -Math.expm1(Math.log1p(-0.001) / n), 1e-10, `nA = 1, n = ${n}`);
  });
  it('mid values: the p where the directly summed tail P(X ≥ nA | p) equals alpha', () => {
    const lf = logFactorials(2000);
    for (const [k, n, alpha] of [
      [60, 100, 0.001],
      [990, 1000, 0.001],
      [700, 1000, 0.05],
      [1234, 2000, 0.001],
      [3, 10, 0.1],
    ]) {
      let lo = 0,
        hi = 1;
      for (let i = 0; i < 80; i++) {
        const mid = (lo + hi) / 2;
        if (upperTail(k, n, mid, lf) < alpha) lo = mid;
        else hi = mid;
      }
      const bound = clopperPearsonLower(k, n, alpha);
      close(bound, lo, 1e-10, `nA=${k}, n=${n}, alpha=${alpha}`);
      close(upperTail(k, n, bound, lf), alpha, 1e-8, 'tail at the bound');
      assert.ok(bound < k / n, 'below the point estimate');
    }
  });
  it('incomplete beta symmetry I_x(a,b) = 1 − I_{1−x}(b,a) holds across the switch point', () => {
    for (const [x, a, b] of [
      [0.3, 2.5, 4],
      [0.6, 30, 20],
      [0.99, 990, 11],
    ])
      close(regularizedBeta(x, a, b), 1 - regularizedBeta(1 - x, b, a), 1e-12, `I_${x}(${a},${b})`);
  });
});
