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
  return lines;
}
