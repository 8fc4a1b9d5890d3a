/** Reading command-line flag values with specific messages (shared by the CLI and the defences' own flags). */
import { EngineError } from '../errors';

export type Flags = Record<string, string | boolean | string[] | undefined>;

export function wholeFlag(flags: Flags, name: string, min: number): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new EngineError('USAGE', `--${name} ${String(v)}: expected a whole number ≥ ${min}`);
  return n;
}

export function choiceFlag<T extends string>(flags: Flags, name: string, allowed: readonly T[]): T | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new EngineError('USAGE', `--${name} ${String(v)}: expected ${allowed.join(' | ')}`);
  return v as T;
}
