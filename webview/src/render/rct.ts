/**
 * RCT heatmaps, one per attack: where in the DCT spectrum the adversarial examples changed the image,
 * relative to the clean coefficients. Each canvas is immediately followed by its colour legend (SVG).
 */
import { modeWords } from '../../../src/protocol/verdict';
import type { Map2D, RctSection } from '../../../src/engine/report/sections';
import type { ScaleKind } from '../charts/colourScale';
import { heatmapFigure } from '../charts/heatmapFigure';
import { sig } from '../format';
import { sideTitle, type RenderContext, type SectionEntry } from './context';

/** Values spanning more than this ratio (max ÷ median of the positive ones) get a log colour scale. */
const LOG_SCALE_SPAN = 100;

/** Log colours when a few cells would otherwise wash out the rest. */
export function autoScale(map: Map2D): ScaleKind {
  const positive = map.values.filter((v) => v > 0 && Number.isFinite(v)).sort((a, b) => a - b);
  if (positive.length < 2) return 'linear';
  const median = positive[positive.length >> 1];
  return positive[positive.length - 1] / median > LOG_SCALE_SPAN ? 'log' : 'linear';
}

export function scaleNote(kind: ScaleKind): string {
  return kind === 'log' ? ' Log colour scale (the values span more than two decades).' : '';
}

/** Says that a binned map's cells are block means, and that its axes count the full map's coefficients. */
export function binNote(map: Map2D): string {
  const b = map.binned;
  return b
    ? ` Each cell is the mean of a ${b.block}×${b.block} block of the ${b.height}×${b.width} map; the axes count its coefficients.`
    : '';
}

export function renderRct(entries: SectionEntry<RctSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  return entries.flatMap(({ side, section }, e) => [
    h('p', { class: 'section-intro' }, sideTitle(ctx, side, section.definition), ` ε = ${sig(section.epsilon, 3)}.`),
    h(
      'div',
      { class: 'heatmap-grid' },
      ...section.maps.map((m, i) => {
        const scale = autoScale(m.map);
        return heatmapFigure(h, ctx.exportTarget, {
          id: `rct-${side.key}-${e}-${i}`,
          title: sideTitle(ctx, side, `RCT: ${m.attack}`),
          caption: [
            `${modeWords(m.mode)}; mean over ${m.count} successful adversarial examples. DC (index 0, 0) at the top left; frequency grows to the right and downwards.`,
            binNote(m.map),
            scaleNote(scale),
          ],
          map: m.map,
          scale,
          layout: 'dct',
          valueLabel: 'mean RCT (relative change, no unit)',
          rowLabel: 'vertical DCT frequency index (low → high)',
          colLabel: 'horizontal DCT frequency index (low → high)',
          testId: 'rct-heatmap',
          legendTestId: 'rct-legend',
        }).figure;
      }),
    ),
  ]);
}
