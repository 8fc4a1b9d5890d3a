/**
 * Seeded pseudo-random numbers (xoshiro128**, seeded through splitmix32) so that every sampled subset,
 * random start and random direction is reproducible from the seed recorded in the report.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(readonly seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next() | 0;
    this.s1 = next() | 0;
    this.s2 = next() | 0;
    this.s3 = next() | 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    // The state stays in signed int32 (same bits as the unsigned form): V8 keeps small integers unboxed,
    // while values ≥ 2³¹ would be heap doubles — 20 ns per draw instead of a few.
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * Standard normal: Marsaglia's polar method (exact; a pair per accepted point of the unit disc, the second
   * value cached). Unlike Box–Muller it needs no sine or cosine: one log and one square root per pair.
   */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let a: number, b: number, s: number;
    do {
      a = 2 * this.next() - 1;
      b = 2 * this.next() - 1;
      s = a * a + b * b;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = b * f;
    return a * f;
  }

  /**
   * Fills out[start, end) with standard normals — exactly the values successive normal() calls would give,
   * rounded to float32 on store — and returns the sum of their squares before rounding. For large fills (a
   * 224×224×3 direction per call): the state stays in locals.
   */
  fillNormal(out: Float32Array, start = 0, end = out.length): number {
    let j = start;
    let sum = 0;
    if (j < end && this.spareNormal !== undefined) {
      const g = this.spareNormal;
      this.spareNormal = undefined;
      out[j++] = g;
      sum += g * g;
    }
    let s0 = this.s0,
      s1 = this.s1,
      s2 = this.s2,
      s3 = this.s3;
    while (j < end) {
      let a: number, b: number, s: number;
      do {
        // next() twice, inlined (see nextUint32).
        let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        let t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 11);
        a = 2 * (r / 4294967296) - 1;
        r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 11);
        b = 2 * (r / 4294967296) - 1;
        s = a * a + b * b;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      const x = a * f;
      out[j++] = x;
      sum += x * x;
      const y = b * f;
      if (j < end) {
        out[j++] = y;
        sum += y * y;
      } else this.spareNormal = y;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return sum;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
