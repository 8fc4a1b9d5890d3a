/** Terminal text of an `inversion` section: parameters and band edges, then per model the representation error and the low/mid/high shares. */
import type { InversionSection, Shares } from '../engine/spectral/featureInversion';

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const sig = (v: number) => Number(v.toPrecision(3)).toString();
const shares = (s: Shares) => `low ${pct(s.low)}, mid ${pct(s.mid)}, high ${pct(s.high)}`;

export function inversionLines(s: InversionSection): string[] {
  const p = s.params;
  const b = p.bands;
  const lines = [
    `inversion  feature inversion (Ilyas et al. 2019), ${p.images} image${p.images === 1 ? '' : 's'} of ${p.channels}×${p.height}×${p.width}, each from another image (seed ${p.seed})`,
    `  steps    ${p.schedule}`,
    `  bands    low ${b.low[0]}–${b.low[1]}, mid ${b.mid[0]}–${b.mid[1]}, high ${b.high[0]}–${b.high[1]} (band = max(u, v) on the DCT grid for square images)`,
  ];
  for (const m of s.models) {
    lines.push(
      `  ${m.model}`,
      `    layer  "${m.layer}" (${m.layerSource === 'default' ? 'default: the last Gemm/MatMul input' : 'named'}), ${m.representationSize} values; clean accuracy ${pct(m.cleanAccuracy)}`,
      `    error  ‖g(x_r) − g(x)‖/‖g(x)‖: ${sig(m.startRelativeError)} at x₀ → mean ${sig(m.relativeError.mean)}, median ${sig(m.relativeError.median)}, max ${sig(m.relativeError.max)} after ${m.stepsRun} steps`,
      `    change ‖x_r − x₀‖ = ${sig(m.meanChange)} on average (‖x − x₀‖ = ${sig(m.meanDistance)}); ${m.seconds.toFixed(1)} s on ${m.provider}`,
      `    |DCT(x_r − x₀)| shares: ${shares(m.shares)}`,
    );
  }
  if (s.models.length) lines.push(`  reference |DCT(x − x₀)| shares: ${shares(s.models[0].referenceShares)}`);
  return lines;
}
