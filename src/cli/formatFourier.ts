/** Terminal text of a `fourier-heatmap` section: parameters, then per model the clean and mean error, the peak and a band profile. */
import type { FourierHeatmapMap, FourierHeatmapSection } from '../engine/spectral/fourierHeatmap';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const freq = (f: number) => (f < 0 ? `−${-f}` : String(f));

/** Mean error over four bands of max(|k_y|, |k_x|), quarters of the largest such frequency: where the model breaks. */
export function bandProfile(s: FourierHeatmapSection, m: FourierHeatmapMap): { from: number; to: number; error: number | null }[] {
  const top = Math.max(...s.fy.map(Math.abs), ...s.fx.map(Math.abs));
  const edges = [0, 1, 2, 3, 4].map((q) => Math.round((q * top) / 4));
  const sums = [0, 0, 0, 0],
    counts = [0, 0, 0, 0];
  m.errorRate.forEach((e, i) => {
    if (e === null) return;
    const k = Math.max(Math.abs(s.fy[Math.floor(i / s.fx.length)]), Math.abs(s.fx[i % s.fx.length]));
    const b = Math.max(0, edges.findIndex((edge, q) => q > 0 && k <= edge) - 1);
    sums[b] += e;
    counts[b]++;
  });
  return [0, 1, 2, 3].map((b) => ({ from: b === 0 ? 0 : edges[b] + 1, to: edges[b + 1], error: counts[b] ? sums[b] / counts[b] : null }));
}

export function fourierHeatmapLines(s: FourierHeatmapSection): string[] {
  const p = s.params;
  const grid =
    p.stride > 1
      ? `every ${p.stride}th frequency, ${s.fy.length}×${s.fx.length} cells`
      : `every frequency, ${s.fy.length}×${s.fx.length} cells`;
  const lines = [
    `fourier    Fourier heat map (Yin et al. 2019), ε = ${Number(p.epsilon.toPrecision(4))}, ${p.images} image${p.images === 1 ? '' : 's'} of ${p.channels}×${p.height}×${p.width}; ${grid}`,
    `  eps      ${p.epsilonNote}`,
    `  cells    ${p.cellsDone} of ${p.cellsTotal} frequency pairs computed (U(k) = U(−k): each drawn twice); ${p.passesPerModel.toLocaleString('en-US')} forward passes per model`,
  ];
  for (const m of s.maps) {
    const peak = m.peak ? `${pct(m.peak.error)} at (k_y, k_x) = (${freq(m.peak.fy)}, ${freq(m.peak.fx)})` : '—';
    lines.push(
      `  ${m.label}: clean error ${pct(m.cleanError)}, mean error ${m.meanError === null ? '—' : pct(m.meanError)}, peak ${peak}, ${m.seconds.toFixed(1)} s`,
      `    by max(|k_y|, |k_x|): ${bandProfile(s, m)
        .map((b) => `${b.from}–${b.to}: ${b.error === null ? '—' : pct(b.error)}`)
        .join(', ')}`,
    );
    if (m.defence)
      lines.push(`    defence: ${m.defence.note}${m.passes !== undefined ? `; ${m.passes.toLocaleString('en-US')} forward passes` : ''}`);
  }
  lines.push('  (top-1 error rate of the perturbed images, clean errors included; frequencies in cycles per image)');
  return lines;
}
