/** Terminal text of a `certification` section: parameters, then per σ the certified accuracy at a few radii. */
import { certifiedAccuracyAt, type CertificationSection } from '../protocol/certification';

/** The radii (pixel units, L2) the summary table shows; the report holds the whole curve. */
export const SUMMARY_RADII = [0, 0.25, 0.5, 1.0] as const;

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function certificationLines(s: CertificationSection): string[] {
  const p = s.params;
  const count = s.images.file.length;
  const lines = [
    `certify    randomized smoothing (Cohen et al. 2019), ${p.preset} preset: n0 = ${p.n0}, n = ${p.n.toLocaleString('en-US')}, alpha = ${p.alpha}, ${count} image${count === 1 ? '' : 's'}`,
    `  noise    ${p.noiseNote}`,
    `  ${'σ'.padEnd(7)} ${SUMMARY_RADII.map((r) => `r≥${r}`.padStart(8)).join(' ')} ${'abstain'.padStart(8)} ${'time'.padStart(9)}`,
  ];
  for (const run of s.runs) {
    lines.push(
      `  ${String(run.sigma).padEnd(7)} ${SUMMARY_RADII.map((r) => pct(certifiedAccuracyAt(run, r)).padStart(8)).join(' ')} ${pct(run.abstentionRate).padStart(8)} ${`${run.totalSeconds.toFixed(1)} s`.padStart(9)}`,
    );
  }
  lines.push('  (certified accuracy: share of the images both correct and certified at L2 radius ≥ r, pixel units)');
  return [...lines, ...empiricalLines(s)];
}

/** Per σ: radius, certified accuracy (lower bound) and empirical robust accuracy (upper bound) of the attacked images. */
function empiricalLines(s: CertificationSection): string[] {
  const a = s.attack;
  if (!a) return [];
  const lines = [
    `  attack   ${a.attacks.join(' → ')}, L2, ${a.steps} steps, EOT over ${a.eotDraws} Gaussian draws per gradient call, judged by PREDICT${a.gradient === 'estimated' ? ' — ESTIMATED gradients (no gradient graph): a weaker attack' : ''}`,
    `  ${'σ'.padEnd(7)} ${'radius'.padStart(7)} ${'certified'.padStart(10)} ${'empirical'.padStart(10)} ${'images'.padStart(7)} ${'attack time'.padStart(12)} ${'grad passes'.padStart(12)}`,
  ];
  const warnings: string[] = [];
  for (const run of s.runs) {
    const e = run.empirical;
    if (!e) continue;
    e.rows.forEach((row, k) => {
      lines.push(
        `  ${(k === 0 ? String(run.sigma) : '').padEnd(7)} ${String(row.radius).padStart(7)} ${pct(row.certifiedAccuracy).padStart(10)} ${pct(row.empiricalAccuracy).padStart(10)} ${String(row.attacked).padStart(7)} ${(k === 0 ? `${e.seconds.toFixed(1)} s` : '').padStart(12)} ${(k === 0 ? e.gradientPasses.toLocaleString('en-US') : '').padStart(12)}`,
      );
      if (row.contradictions > 0)
        warnings.push(
          `  ⚠ σ = ${run.sigma}, r = ${row.radius}: ${row.contradictions} image(s) certified at r or more were broken (probability ≈ α each: a bug or an unlucky draw)`,
        );
    });
  }
  lines.push("  (certified: a lower bound on the smoothed classifier's robust accuracy; empirical: an upper bound, same images)");
  return [...lines, ...warnings];
}
