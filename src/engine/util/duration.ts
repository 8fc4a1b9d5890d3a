/** Durations as people type them for `--budget` and the budget setting: "90s", "10m", "1h", "1h30m", "2.5m". */
import { EngineError } from '../errors';

const UNIT_SECONDS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600 };

/** Seconds in a duration such as 10m, 90s, 1h, 1h30m; a bare number is minutes. Throws a USAGE error otherwise. */
export function parseDuration(text: string, what = '--budget'): number {
  const t = text.trim().toLowerCase();
  const bad = () =>
    new EngineError('USAGE', `${what} ${JSON.stringify(text)}: expected a duration such as 90s, 10m, 1h or 1h30m`, {
      hint: 'units: s, m (min), h; a number alone is minutes',
    });
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(t)) seconds = Number(t) * 60;
  else {
    const parts = [...t.matchAll(/(\d+(?:\.\d+)?)\s*(sec|min|s|m|h)/g)];
    if (!parts.length || parts.map((m) => m[0]).join('') !== t.replace(/\s+/g, '')) throw bad();
    seconds = parts.reduce((sum, m) => sum + Number(m[1]) * UNIT_SECONDS[m[2]], 0);
  }
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw bad();
  return seconds;
}
