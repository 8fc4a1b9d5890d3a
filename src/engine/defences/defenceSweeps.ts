/** Helpers shared by the defences' pass-1 sweeps. */
import type { DefenceAttackRef, Sweep } from '../report/sections';

/** Defence rate of every attack along one parameter. */
export function defenceRateSweep(
  id: Sweep['id'],
  title: string,
  xLabel: string,
  x: number[],
  refs: DefenceAttackRef[],
  y: (attack: number, i: number) => number | null,
  fixed: Record<string, number | string>,
): Sweep {
  return {
    id,
    title,
    xLabel,
    yLabel: 'defence rate',
    x,
    series: refs.map((r, a) => ({ name: r.label, attack: r.label, mode: r.mode, y: x.map((_, i) => y(a, i)) })),
    fixed,
  };
}

/** `v` rounded to `digits` significant digits. */
export function roundTo(v: number, digits: number): number {
  const f = 10 ** Math.max(0, digits - Math.ceil(Math.log10(Math.abs(v) + 1e-300)));
  return Math.round(v * f) / f;
}
