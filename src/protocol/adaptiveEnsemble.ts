/**
 * The adaptive ensemble's cascade of a defence row in words (`analyse --adaptive autoattack`): per attack the
 * examples it broke of those it ran on, and the attacks skipped. The CLI and the panel show the same line.
 * Reads the row defensively: reports are data.
 */
import type { DefenceRow } from '../engine/report/sections';

export function ensembleBreaksText(adaptive: NonNullable<DefenceRow['adaptive']>): string | null {
  const e = adaptive.ensemble;
  if (!e || !Array.isArray(e.attacks)) return null;
  const ran = e.attacks.map((a) => `${a.label} broke ${a.broke} of ${a.ranOn}`).join(', ');
  const skipped =
    Array.isArray(e.skipped) && e.skipped.length ? `; skipped ${e.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}` : '';
  return `cascade: ${ran}${skipped}`;
}
