/**
 * Fourier heat maps: per model (as given, post-averaged, behind the low-pass filter) side by side, one colour scale, the top-1
 * error under ±ε·U(k) for every frequency k, drawn like the perturbation spectra (viridis, colour bar, centred
 * DFT axes in cycles per image, DC in the middle), with the clean error, the mean and the peak in the caption.
 */
import type { Map2D } from '../../../src/engine/report/sections';
import type { FourierHeatmapMap, FourierHeatmapSection } from '../../../src/engine/spectral/fourierHeatmap';
import { heatmapFigure } from '../charts/heatmapFigure';
import { frequencyText } from '../charts/heatmapAxes';
import { percent, sig } from '../format';
import { sideTitle, type RenderContext, type SectionEntry } from './context';

/** The section's map as a Map2D (cells not computed in a cancelled run are NaN: drawn dark, skipped by the colour scale). */
export function errorMap(s: FourierHeatmapSection, m: FourierHeatmapMap): Map2D {
  return { height: s.fy.length, width: s.fx.length, values: m.errorRate.map((e) => (e === null ? NaN : e)) };
}

/** The grid is a centred layout sampled every `stride`-th frequency; says so loudly if a report disagrees. */
function checkGrid(s: FourierHeatmapSection): void {
  const step = s.params.stride;
  const ok = (f: number[]) => f.every((v, p) => v === (p - Math.floor(f.length / 2)) * step);
  if (!ok(s.fy) || !ok(s.fx)) throw new RangeError(`Fourier heat map: frequencies are not a centred grid of step ${step}`);
}

export function renderFourierHeatmap(entries: SectionEntry<FourierHeatmapSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  return entries.flatMap(({ side, section: s }, e) => {
    checkGrid(s);
    const p = s.params;
    const grid =
      p.stride > 1
        ? `every ${p.stride}th frequency on each axis (${s.fy.length}×${s.fx.length} cells, at most ${p.maxSide} a side)`
        : `every frequency (${s.fy.length}×${s.fx.length} cells)`;
    const partial =
      p.cellsDone < p.cellsTotal ? ` Interrupted: ${p.cellsDone} of ${p.cellsTotal} frequency pairs computed; the others are dark.` : '';
    // One colour scale for the maps side by side (the model's and the defended models'): their highest error.
    const sharedMax = Math.max(0, ...s.maps.flatMap((m) => m.errorRate.filter((x): x is number => x !== null)));
    return [
      h(
        'p',
        { class: 'section-intro', 'data-testid': 'fourier-params' },
        sideTitle(ctx, side, s.definition),
        ` ε = ${sig(p.epsilon, 4)} (${p.epsilonNote}); ${p.images} images of ${p.channels}×${p.height}×${p.width}; ${grid}.${partial}`,
      ),
      h(
        'div',
        { class: 'heatmap-grid' },
        ...s.maps.map((m, i) => {
          const peak = m.peak ? `${percent(m.peak.error)} at (k_y, k_x) = (${frequencyText(m.peak.fy)}, ${frequencyText(m.peak.fx)})` : '—';
          return heatmapFigure(h, ctx.exportTarget, {
            id: `fourier-${side.key}-${e}-${i}`,
            title: sideTitle(ctx, side, `Fourier heat map: ${m.label}`),
            caption: [
              `Clean error ${percent(m.cleanError)}; mean error over the map ${percent(m.meanError)}; peak ${peak}. DC (k = 0, 0) at the centre; |k| grows outwards.`,
              ...(m.defence ? [` ${m.defence.note}.`] : []),
              ...(s.maps.length > 1 ? [' Colour scale shared by the maps of this section.'] : []),
            ],
            sharedMax,
            map: errorMap(s, m),
            scale: 'linear',
            layout: 'centred-dft',
            frequencyStep: p.stride,
            valueLabel: 'top-1 error rate (fraction of images)',
            rowLabel: 'vertical frequency k_y (cycles per image)',
            colLabel: 'horizontal frequency k_x (cycles per image)',
            testId: 'fourier-heatmap',
            legendTestId: 'fourier-legend',
          }).figure;
        }),
      ),
    ];
  });
}
