/**
 * Small schema combinators: one declaration gives both the runtime check of a message and its TypeScript
 * type (`Infer<typeof schema>`), so the two cannot drift apart. Everything that crosses a process or webview
 * boundary is checked with them. Rules shared by every schema:
 *  - objects must be plain data (prototype Object or null: a field inherited through a prototype would pass
 *    the own-key checks unseen) and may hold only the declared keys;
 *  - an error names the path of the offending value (`options.attacks[2].params.eps must be …`);
 *  - a valid value is returned as it is (no copy: reports can be large).
 * No dependency on anything else: the webview bundle, the extension host and the engine process use it.
 */

/** A value failed its schema; the message names where and why. */
export class SchemaError extends Error {}

export interface Schema<T> {
  /** The value, typed, or a SchemaError naming `path` ('' at the top of a message). */
  parse(value: unknown, path: string): T;
}

/** A key of an object schema that may be absent (or undefined). */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** `what problem`, or just the problem at the top of a message that has no name. */
export function describe(what: string, problem: string): string {
  return what ? `${what} ${problem}` : problem;
}

/** Throws the SchemaError for `problem` at `path`. */
export function fail(path: string, problem: string): never {
  throw new SchemaError(describe(path, problem));
}

export const fieldPath = (path: string, key: string): string => (path ? `${path}.${key}` : key);
export const itemPath = (path: string, index: number): string => `${path}[${index}]`;

/** Why a value is not a plain object ('an object', 'a plain object'), or null when it is one. */
export function plainObjectProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'an object';
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null ? null : 'a plain object';
}

// ---- scalars ----

export interface StringRules {
  /** Least length (default 1: non-empty). */
  min?: number;
  max: number;
  pattern?: RegExp;
  /** Replaces the default "must be a … string …" problem text. */
  message?: string;
}

/** A string of min…max characters (optionally matching `pattern`); `T` narrows the type where a pattern does. */
export function string<T extends string = string>(rules: StringRules): Schema<T> {
  const { min = 1, max, pattern } = rules;
  const problem = rules.message ?? `must be a ${min > 0 ? 'non-empty ' : ''}string of at most ${max} characters`;
  return {
    parse(value, path) {
      if (typeof value !== 'string' || value.length < min || value.length > max || (pattern && !pattern.test(value))) fail(path, problem);
      return value as T;
    },
  };
}

/** A whole number in [min, max]. */
export function integer(rules: { min: number; max?: number }): Schema<number> {
  const { min, max = Number.MAX_SAFE_INTEGER } = rules;
  return {
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
        fail(path, `must be a whole number in [${min}, ${max}]`);
      return value;
    },
  };
}

/** A finite number, optionally one that passes `check` (e.g. positive). */
export function number(rules: { check?: (n: number) => boolean } = {}): Schema<number> {
  const { check = () => true } = rules;
  return {
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) fail(path, 'must be a finite number in range');
      return value;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    parse(value, path) {
      if (typeof value !== 'boolean') fail(path, 'must be true or false');
      return value;
    },
  };
}

/** Exactly `expected` (a message's `type` tag, say). */
export function literal<const T extends string | number | boolean>(expected: T): Schema<T> {
  return {
    parse(value, path) {
      if (value !== expected) fail(path, `must be ${JSON.stringify(expected)}`);
      return value as T;
    },
  };
}

/** One of a fixed list of values. */
export function oneOf<const T extends string | number>(values: readonly T[], rules: { message?: string } = {}): Schema<T> {
  return {
    parse(value, path) {
      if (!values.includes(value as T)) fail(path, rules.message ?? `must be one of ${values.join(', ')} (got ${JSON.stringify(value)})`);
      return value as T;
    },
  };
}

// ---- wrappers ----

export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return { parse: (value, path) => (value === null ? null : schema.parse(value, path)) };
}

/** An object key that may be left out (an explicit undefined counts as left out). */
export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return { optional: true, parse: (value, path) => (value === undefined ? undefined : schema.parse(value, path)) };
}

/** `schema`, then a further check on its value: `check` returns the problem (appended to the path) or null. */
export function refine<T>(schema: Schema<T>, check: (value: T, path: string) => string | null): Schema<T> {
  return {
    parse(value, path) {
      const parsed = schema.parse(value, path);
      const problem = check(parsed, path);
      if (problem !== null) fail(path, problem);
      return parsed;
    },
  };
}

/** A check written by hand, for what the combinators do not express; `parse` throws through `fail`. */
export function custom<T>(parse: (value: unknown, path: string) => T): Schema<T> {
  return { parse };
}

/** The schema `pick` chooses from the value (e.g. a number, or a [height, width] pair). */
export function either<A, B>(pick: (value: unknown) => boolean, ifTrue: Schema<A>, otherwise: Schema<B>): Schema<A | B> {
  return { parse: (value, path) => (pick(value) ? ifTrue.parse(value, path) : otherwise.parse(value, path)) };
}

// ---- collections ----

export interface ListRules {
  min?: number;
  max: number;
  /** Replaces the default "must be a list of min–max items" problem text. */
  message?: string;
}

export function array<T>(item: Schema<T>, rules: ListRules): Schema<T[]> {
  const { min = 0, max } = rules;
  const problem = rules.message ?? `must be a list of ${min}–${max} items`;
  return {
    parse(value, path) {
      if (!Array.isArray(value) || value.length < min || value.length > max) fail(path, problem);
      value.forEach((v, i) => item.parse(v, itemPath(path, i)));
      return value as T[];
    },
  };
}

type Items<S extends readonly Schema<unknown>[]> = { -readonly [K in keyof S]: Infer<S[K]> };

/** A fixed-length list, item by item. */
export function tuple<const S extends readonly Schema<unknown>[]>(items: S, rules: { message: string }): Schema<Items<S>> {
  return {
    parse(value, path) {
      if (!Array.isArray(value) || value.length !== items.length) fail(path, rules.message);
      items.forEach((s, i) => s.parse(value[i], itemPath(path, i)));
      return value as Items<S>;
    },
  };
}

/** A plain object of any keys; `key` returns what is wrong with a key (after the path) or null. */
export function record<T>(value: Schema<T>, rules: { key?: (key: string) => string | null } = {}): Schema<Record<string, T>> {
  return {
    parse(input, path) {
      const o = plainObject(input, path, '');
      for (const [k, v] of Object.entries(o)) {
        const problem = rules.key?.(k);
        if (problem) fail(path, problem);
        value.parse(v, fieldPath(path, k));
      }
      return o as Record<string, T>;
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] } & {};
/** The type of an object schema's values (an empty shape: an object with no keys at all, not `{}`: anything). */
export type ObjectOf<S extends Shape> = [keyof S] extends [never]
  ? Record<string, never>
  : Flatten<{ [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }>;

export interface ObjectSchema<S extends Shape> extends Schema<ObjectOf<S>> {
  readonly shape: S;
}

function plainObject(value: unknown, path: string, label: string): Record<string, unknown> {
  const problem = plainObjectProblem(value);
  if (problem) fail(path || label, `must be ${problem}`);
  return value as Record<string, unknown>;
}

/**
 * A plain object with exactly the keys of `shape` (those wrapped in `optional` may be left out), checked in
 * the order declared. `label` names the object in its own errors when it is the top of a message (path '').
 */
export function object<const S extends Shape>(shape: S, rules: { label?: string } = {}): ObjectSchema<S> {
  const keys = Object.keys(shape);
  const label = rules.label ?? '';
  return {
    shape,
    parse(value, path) {
      const o = plainObject(value, path, label);
      const extra = Object.keys(o).filter((k) => !keys.includes(k));
      if (extra.length) fail(path || label, `${path || label ? 'has ' : ''}unexpected field(s) ${extra.join(', ')}`);
      for (const k of keys) shape[k].parse(o[k], fieldPath(path, k));
      return o as ObjectOf<S>;
    },
  };
}

export interface UnionRules {
  /** Names the value in its own errors at the top of a message (e.g. 'message'). */
  label?: string;
  /** The whole error for an unknown tag (default: "<path>.<tag> must be one of …"). */
  unknownTag?: (tag: unknown) => string;
  /** The problem text for an unknown tag at "<path>.<tag>". */
  tagProblem?: string;
}

export interface TaggedUnion<M extends Record<string, Schema<unknown>>> extends Schema<Infer<M[keyof M]>> {
  readonly members: M;
  readonly tags: readonly (keyof M & string)[];
}

/** Objects told apart by the string in `tag` (`type`, `kind`): each tag value has its own schema. */
export function tagged<const M extends Record<string, Schema<unknown>>>(tag: string, members: M, rules: UnionRules = {}): TaggedUnion<M> {
  const tags = Object.keys(members) as (keyof M & string)[];
  const tagSchema = oneOf(tags, rules.tagProblem ? { message: rules.tagProblem } : {});
  return {
    members,
    tags,
    parse(value, path) {
      const o = plainObject(value, path, rules.label ?? '');
      if (rules.unknownTag && !Object.hasOwn(members, o[tag] as string)) throw new SchemaError(rules.unknownTag(o[tag]));
      const t = tagSchema.parse(o[tag], fieldPath(path, tag));
      return members[t].parse(value, path) as Infer<M[keyof M]>;
    },
  };
}

/** A schema's verdict as data: the value, or the reason it was refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export function check<T>(schema: Schema<T>, value: unknown, path = ''): Checked<T> {
  try {
    return { ok: true, value: schema.parse(value, path) };
  } catch (e) {
    if (e instanceof SchemaError) return { ok: false, reason: e.message };
    throw e;
  }
}

type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;

/**
 * Compile-time check that two object types are mutually assignable and name the same keys (assignability
 * alone ignores an optional key that only one side has): `const _: MutuallyAssignable<A, B> = true`.
 */
export type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? SameKeys<A, B> : false) : false;
