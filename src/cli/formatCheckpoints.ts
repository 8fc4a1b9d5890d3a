/** Terminal text of a `checkpoints` section: one row per checkpoint in training order, then failures and the cache's tally. */
import { formatEpsilon } from '../engine/attacks/format';
import { checkpointCounts, type CheckpointsSection } from '../protocol/checkpoints';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const ratio = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const NORM = { l2: 'L2', linf: 'L∞' } as const;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => `  ${r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`.trimEnd());
}

export function checkpointsLines(s: CheckpointsSection): string[] {
  const p = s.params;
  const done = s.entries.filter((e) => e.result);
  const attackLabels = done[0]?.result?.attacks.map((a) => a.label) ?? [];
  const lines = [
    `checkpoints ${s.folder}: ${s.total} checkpoint${s.total === 1 ? '' : 's'}, ${s.orderNote}`,
    `  attacks  ${NORM[p.norm]} ε = ${formatEpsilon(p.epsilon, p.norm)}: ${attackLabels.join(', ') || 'FGM, PGD'}` +
      (p.cutoff !== null ? `; τ over S_l = {|k_x|, |k_y| ≤ ${p.cutoff}}` : ''),
  ];
  const short = attackLabels.map((l) => l.split(' ')[0]);
  const header = ['#', 'checkpoint', 'clean', ...short.map((l) => `robust ${l}`), ...short.map((l) => `τ(δ) ${l}`), 'τ(x)', 'source'];
  const rows = [header];
  s.entries.forEach((e, i) => {
    const r = e.result;
    if (!r) return;
    rows.push([
      String(e.number ?? i + 1),
      e.name,
      pct(r.cleanTop1),
      ...short.map((_, a) => (r.attacks[a] ? pct(r.attacks[a].robustTop1) : '—')),
      ...short.map((_, a) => ratio(r.attacks[a]?.lowFrequencyRatio ?? null)),
      ratio(r.imagesLowFrequencyRatio),
      e.source === 'computed' ? `computed ${r.seconds.toFixed(1)} s` : (e.source ?? ''),
    ]);
  });
  if (rows.length > 1) lines.push(...table(rows));
  for (const e of s.entries.filter((x) => x.status === 'failed')) lines.push(`  FAILED   ${e.name}: ${e.error}`);
  const c = checkpointCounts(s);
  lines.push(
    `  images   ${done[0]?.result?.images ?? 0} per checkpoint; computed ${c.computed}, from the cache ${c.cached}, failed ${c.failed}` +
      (p.cacheDir ? ` (cache ${p.cacheDir})` : ' (no cache)'),
    '  (robust: top-1 accuracy after the attack, clean errors counted; τ: share of the energy at low frequencies)',
  );
  return lines;
}
