/** ε shown both as a number and, for L∞, as k/255 when it is one. */
import type { Norm } from './types';

export function formatEpsilon(eps: number, norm: Norm): string {
  const k = eps * 255;
  if (norm === 'linf' && Math.abs(k - Math.round(k)) < 1e-6) return `${Math.round(k)}/255 (${eps.toFixed(4)})`;
  return `${Number(eps.toPrecision(4))}`;
}

/** Parses "8/255", "0.03" or "1e-2". */
export function parseEpsilon(text: string): number {
  const m = /^\s*([0-9.eE+-]+)\s*\/\s*([0-9.eE+-]+)\s*$/.exec(text);
  return m ? Number(m[1]) / Number(m[2]) : Number(text);
}
