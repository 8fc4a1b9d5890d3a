/**
 * Number and text formats of the panels. Missing values are an em dash, never "NaN" or "null"; minus signs
 * are U+2212 so a negative change reads as one.
 */
export const DASH = '—';
const MINUS = '−';

const isNum = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const signed = (text: string) => text.replace(/^-/, MINUS);

/** 0.4375 → "43.8%". */
export function percent(v: number | null | undefined, digits = 1): string {
  return isNum(v) ? signed(`${(v * 100).toFixed(digits)}%`) : DASH;
}

/** A change of a fraction in percentage points: −0.021 → "−2.1 pp", 0.03 → "+3.0 pp". */
export function pointsChange(delta: number | null | undefined, digits = 1): string {
  if (!isNum(delta)) return DASH;
  const text = (Math.abs(delta) * 100).toFixed(digits);
  if (Number(text) === 0) return `±${text} pp`;
  return `${delta < 0 ? MINUS : '+'}${text} pp`;
}

/** Fixed decimals: 0.76751 → "0.768". */
export function fixed(v: number | null | undefined, digits = 3): string {
  return isNum(v) ? signed(v.toFixed(digits)) : DASH;
}

/** Significant digits without trailing zeros or exponent for everyday magnitudes: 0.0313725 → "0.0314". */
export function sig(v: number | null | undefined, digits = 3): string {
  if (!isNum(v)) return DASH;
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e6) return signed(String(Number(v.toPrecision(digits))));
  return signed(v.toExponential(digits - 1));
}

/** Integers with thousands separators: 33594 → "33,594". */
export function count(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  return signed(
    Math.round(v)
      .toString()
      .replace(/\B(?=(\d{3})+(?!\d))/g, ','),
  );
}

/** Large counts in short form: 33594 → "33.6k", 11689512 → "11.7M". */
export function compact(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a < 1000) return signed(String(Math.round(v)));
  const [div, unit] = a < 1e6 ? [1e3, 'k'] : a < 1e9 ? [1e6, 'M'] : [1e9, 'G'];
  return signed(`${(v / div).toFixed(1)}${unit}`);
}

/** Bytes in binary units: 140710 → "137.4 KiB". */
export function bytes(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let x = v / 1024,
    u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${x.toFixed(1)} ${units[u]}`;
}

/** Seconds as "42 s", "3 m 05 s", "1 h 02 m" (ETAs and run times). */
export function duration(seconds: number | null | undefined): string {
  if (!isNum(seconds) || seconds < 0) return DASH;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
}

/** A cost ratio: 91.04 → "×91.0". */
export function times(v: number | null | undefined): string {
  return isNum(v) ? `×${v.toFixed(v < 10 ? 2 : 1)}` : DASH;
}

/** "k of n" as "49/92". */
export function fraction(k: number, n: number): string {
  return `${count(k)}/${count(n)}`;
}

/**
 * ε as a number, and as k/255 for L∞ budgets on the byte grid: 8/255 → "8/255 (0.0314)". Off-grid L∞
 * values (e.g. a median minimal ε) get an approximate "≈2.9/255"; L2 budgets are plain numbers.
 */
export function epsilon(eps: number | null | undefined, norm: 'linf' | 'l2' | null): string {
  if (!isNum(eps)) return DASH;
  if (norm !== 'linf') return sig(eps, 4);
  const k = eps * 255;
  if (Math.abs(k - Math.round(k)) < 1e-6) return `${Math.round(k)}/255 (${eps.toFixed(4)})`;
  return `${sig(eps, 3)} (≈${k.toFixed(1)}/255)`;
}

/** A tensor shape: ["N", 1, 28, 28] → "[N, 1, 28, 28]"; unknown dims are "?". */
export function shape(dims: (number | string | null)[] | null): string {
  return dims ? `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : DASH;
}

/** The last segment of a path (either separator): the model's file name in headings. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** A file-name-safe stem: anything but letters, digits, dot, dash and underscore becomes a dash. */
export function fileStem(text: string, max = 80): string {
  const stem = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return (stem || 'chart').slice(0, max);
}
