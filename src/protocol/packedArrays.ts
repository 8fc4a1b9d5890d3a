/**
 * Long arrays of numbers (the frequency maps, sweeps over many ε…) cross from the extension host to a
 * webview as Float64Array: VS Code hands typed arrays to a webview as binary, whereas a plain array is
 * serialised number by number on the extension host's thread (31 ms for one full-preset spectra section in
 * code-server). Doubles keep every value exact. The webview turns them back into plain arrays on receipt
 * (`unpackNumericArrays`), so renderers only ever see the `number[]` the report types promise: a
 * Float64Array's `.map` returns a Float64Array, which turns mapped objects and strings into NaN.
 */

/** Arrays of at least this many numbers cross to the webview as Float64Array. */
export const PACKED_ARRAY_MIN = 64;

/** A value as it crosses to the webview: any array of numbers may be a Float64Array. */
export type Packed<T> = T extends number[]
  ? number[] | Float64Array
  : T extends (infer U)[]
    ? Packed<U>[]
    : T extends object
      ? { [K in keyof T]: Packed<T[K]> }
      : T;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v) as object | null);

/** A copy of a message with every long array of numbers as a Float64Array (the original is not changed). */
export function packNumericArrays<T>(value: T): Packed<T> {
  if (Array.isArray(value)) {
    if (value.length >= PACKED_ARRAY_MIN && value.every((v) => typeof v === 'number'))
      return Float64Array.from(value as number[]) as Packed<T>;
    return (value as unknown[]).map((v) => packNumericArrays(v)) as Packed<T>;
  }
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, packNumericArrays(v)])) as Packed<T>;
  return value as Packed<T>;
}

/** The message as it was before packing: every Float64Array becomes a plain array again. */
export function unpackNumericArrays<T>(value: Packed<T>): T;
export function unpackNumericArrays(value: unknown): unknown;
export function unpackNumericArrays(value: unknown): unknown {
  if (value instanceof Float64Array) return Array.from(value);
  if (Array.isArray(value)) return (value as unknown[]).map((v) => unpackNumericArrays(v));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unpackNumericArrays(v)]));
  return value;
}
