/**
 * An analyse run's plan as lines of text: the CLI prints them before the run starts (and in the report's
 * summary), the panel shows them. Reads the section defensively: reports are data.
 */
import type { RunPlanSection } from '../engine/report/sections';

/** "12 s", "3 min 5 s", "1 h 2 min". */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const ms = (s: number | null) => (s === null ? 'n/a' : s < 1 ? `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms` : `${s.toFixed(2)} s`);

const ADAPTIVE_TEXT: Record<string, string> = {
  pgd: 'PGD-10',
  'apgd-ce': 'APGD-CE-10',
  autoattack: 'AutoAttack ensemble (standard; rand with EOT against a randomized defence)',
};

export function runPlanLines(s: RunPlanSection): string[] {
  const lines: string[] = [];
  const budget = num(s.budgetSeconds);
  const total = num(s.estimateSeconds) ?? 0;
  const probe = s.probe ?? ({} as RunPlanSection['probe']);
  lines.push(
    `plan       estimate ${durationText(total)}${budget !== null ? ` for a budget of ${durationText(budget)}${s.fits === false ? " (does not fit even at every reduction's floor: the run stops at the budget)" : ''}` : ''}`,
  );
  lines.push(
    `  probe    ${num(probe.images) ?? '?'} images: forward ${ms(num(probe.forwardSeconds))}/image, gradient ${ms(num(probe.gradientSeconds))}/image; ${durationText(num(probe.elapsedSeconds) ?? 0)} to set up and probe`,
  );
  const f = probe.defendedFactors;
  if (f && [f.postAveragingForward, f.postAveragingGradient, f.lowPassForward].every((v) => num(v) !== null))
    lines.push(
      `  defended a post-averaging point ${f.postAveragingForward.toFixed(2)}× a forward pass, its EOT gradient point ${f.postAveragingGradient.toFixed(2)}× a gradient pass, a low-pass row ${f.lowPassForward.toFixed(2)}× a forward pass (one batch of each, timed)`,
    );
  for (const st of Array.isArray(s.stages) ? s.stages : [])
    lines.push(`  ${String(st.stage).padEnd(44)} ${String(st.images).padStart(6)} images  ≈ ${durationText(num(st.seconds) ?? 0)}`);
  if (s.eot)
    lines.push(`  EOT      ${s.eot.samples} of ${s.eot.points} post-averaging points per adaptive step (chosen by ${s.eot.chosenBy})`);
  const of = s.occludedFrequency;
  if (of && num(of.bandGroup) !== null)
    lines.push(
      `  OF       ${of.images} image(s) × ${of.passesPerImage} passes: ${of.bands} DCT bands${of.bandGroup > 1 ? ` in groups of ${of.bandGroup}` : ', one at a time'} (chosen by ${of.chosenBy})`,
    );
  if (s.adaptive && typeof s.adaptive.attack === 'string')
    lines.push(
      `  adaptive ${ADAPTIVE_TEXT[s.adaptive.attack] ?? s.adaptive.attack} against each defence (chosen by ${s.adaptive.chosenBy})`,
    );
  if (s.images && s.images.planned !== s.images.available)
    lines.push(`  images   ${s.images.planned} of ${s.images.available} (reduced to fit the budget)`);
  const reductions = Array.isArray(s.reductions) ? s.reductions : [];
  if (budget !== null)
    lines.push(
      reductions.length
        ? `  reduced  ${reductions.map((r) => `${r.what} ${fmt(r.from)} → ${fmt(r.to)}`).join('; ')}`
        : '  reduced  nothing (the budget is ample)',
    );
  for (const e of Array.isArray(s.extras) ? s.extras : [])
    lines.push(
      `  ${e.section === 'fourier-heatmap' ? 'fourier ' : 'certify '} ${e.decision}${e.decision === 'left out' ? '' : ` (≈ ${durationText(num(e.seconds) ?? 0)})`}: ${e.reason}${e.decision === 'included' ? '' : ` (in full: ${e.command})`}`,
    );
  if (s.replanned && typeof s.replanned.note === 'string')
    lines.push(`  replan   after ${durationText(num(s.replanned.atSeconds) ?? 0)}: ${s.replanned.note}`);
  if (s.stopped) lines.push(`  stopped  ${s.stopped.note}`);
  return lines;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
