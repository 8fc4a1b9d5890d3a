/** Norms, projections and clipping on planar per-image pixel buffers. */

/** Per-image L2 and L∞ norms of (adversarial − clean). */
export function perturbationNorms(adversarial: Float32Array, clean: Float32Array, count: number): { l2: Float64Array; linf: Float64Array } {
  const per = clean.length / count;
  const l2 = new Float64Array(count),
    linf = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0,
      m = 0;
    for (let j = i * per; j < (i + 1) * per; j++) {
      const d = adversarial[j] - clean[j];
      s += d * d;
      m = Math.max(m, Math.abs(d));
    }
    l2[i] = Math.sqrt(s);
    linf[i] = m;
  }
  return { l2, linf };
}

/**
 * Projects x onto the ε-ball around x0 (per image, `norm`) intersected with [lo, hi]. For L2 the ball
 * projection comes first and the box clip second, as torchattacks and Foolbox do.
 */
export function projectInPlace(
  x: Float32Array,
  x0: Float32Array,
  count: number,
  eps: ArrayLike<number>,
  norm: 'linf' | 'l2',
  lo: number,
  hi: number,
): void {
  const per = x0.length / count;
  for (let i = 0; i < count; i++) {
    const e = eps[i];
    const start = i * per,
      end = start + per;
    if (norm === 'linf') {
      for (let j = start; j < end; j++) {
        const d = Math.min(e, Math.max(-e, x[j] - x0[j]));
        x[j] = x0[j] + d;
      }
    } else {
      let s = 0;
      for (let j = start; j < end; j++) s += (x[j] - x0[j]) ** 2;
      const n = Math.sqrt(s);
      if (n > e) {
        const f = e / n;
        for (let j = start; j < end; j++) x[j] = x0[j] + (x[j] - x0[j]) * f;
      }
    }
    for (let j = start; j < end; j++) x[j] = x[j] < lo ? lo : x[j] > hi ? hi : x[j];
  }
}
