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
            `${modeWords(m.mode)}; mean over ${m.count} successful adversarial examples. Low frequencies top left.`,
            scaleNote(scale),
          ],
          map: m.map,
          scale,
          valueLabel: 'mean RCT',
          rowLabel: 'DCT row (vertical frequency)',
          colLabel: 'DCT column (horizontal frequency)',
          testId: 'rct-heatmap',
          legendTestId: 'rct-legend',
        }).figure;
      }),
    ),
  ]);
}
