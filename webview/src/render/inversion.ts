/**
 * Feature inversion: per model the mean |DCT(x_r − x₀)| map, side by side and drawn like the RCT maps (viridis,
 * colour bar, DC at the top left), the low/mid/high-frequency shares in one table with the reference x − x₀, the
 * representation error before and after, and a few x / x₀ / x_r examples.
 */
import type { InversionExample, InversionModelResult, InversionSection } from '../../../src/engine/spectral/featureInversion';
import { heatmapFigure } from '../charts/heatmapFigure';
import { percent, sig } from '../format';
import { binNote, scaleNote, autoScale } from './rct';
import { imageUrl, missingImageText, sideTitle, type RenderContext, type SectionEntry, type Side } from './context';

const fileName = (path: string) => path.replace(/^.*[\\/]/, '');

export function renderInversion(entries: SectionEntry<InversionSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  return entries.flatMap(({ side, section: s }, e) => {
    const p = s.params;
    const b = p.bands;
    return [
      h(
        'p',
        { class: 'section-intro', 'data-testid': 'inversion-params' },
        sideTitle(ctx, side, s.definition),
        ` ${p.images} images of ${p.channels}×${p.height}×${p.width}; ${p.schedule}. Bands: low ${b.low[0]}–${b.low[1]}, mid ${b.mid[0]}–${b.mid[1]}, high ${b.high[0]}–${b.high[1]}.`,
      ),
      sharesTable(ctx, side, s),
      h(
        'div',
        { class: 'heatmap-grid' },
        ...s.models.map((m, i) => {
          const scale = autoScale(m.map);
          return heatmapFigure(h, ctx.exportTarget, {
            id: `inversion-${side.key}-${e}-${i}`,
            title: sideTitle(ctx, side, `Mean |DCT(x_r − x₀)|: ${fileName(m.model)}`),
            caption: [
              `Representation "${m.layer}" (${m.representationSize} values); relative error ${sig(m.startRelativeError, 3)} at x₀ → ${sig(m.relativeError.mean, 3)} (mean) after ${m.stepsRun} steps. DC (index 0, 0) at the top left; frequency grows to the right and downwards.`,
              binNote(m.map),
              scaleNote(scale),
            ],
            map: m.map,
            scale,
            layout: 'dct',
            valueLabel: 'mean |DCT(x_r − x₀)| ([0,1] pixel units)',
            rowLabel: 'vertical DCT frequency index (low → high)',
            colLabel: 'horizontal DCT frequency index (low → high)',
            testId: 'inversion-heatmap',
            legendTestId: 'inversion-legend',
          }).figure;
        }),
      ),
      ...s.models.filter((m) => m.examples.length).map((m) => examples(ctx, side, m)),
    ];
  });
}

function sharesTable(ctx: RenderContext, side: Side, s: InversionSection): HTMLElement {
  const { h } = ctx;
  const row = (label: string, sh: { low: number; mid: number; high: number }, extra: (string | number)[]) =>
    h(
      'tr',
      null,
      h('th', { scope: 'row' }, label),
      h('td', { class: 'num' }, percent(sh.low)),
      h('td', { class: 'num' }, percent(sh.mid)),
      h('td', { class: 'num' }, percent(sh.high)),
      ...extra.map((v) => h('td', { class: 'num' }, String(v))),
    );
  return h(
    'table',
    { class: 'data', 'data-testid': 'inversion-shares' },
    h('caption', null, sideTitle(ctx, side, 'Share of the mean |DCT| in each band')),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ...['', 'Low', 'Mid', 'High', 'Clean accuracy', 'Rel. error at x₀', 'Rel. error (mean)', '‖x_r − x₀‖'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      null,
      ...s.models.map((m) =>
        row(`x_r − x₀: ${fileName(m.model)}`, m.shares, [
          percent(m.cleanAccuracy),
          sig(m.startRelativeError, 3),
          sig(m.relativeError.mean, 3),
          sig(m.meanChange, 3),
        ]),
      ),
      ...(s.models.length ? [row('x − x₀ (reference)', s.models[0].referenceShares, ['', '', '', sig(s.models[0].meanDistance, 3)])] : []),
    ),
  );
}

function examples(ctx: RenderContext, side: Side, m: InversionModelResult): HTMLElement {
  const { h } = ctx;
  const picture = (path: string, alt: string, caption: string) => {
    const src = imageUrl(side, path);
    return h(
      'figure',
      { class: 'preview' },
      src ? h('img', { src, alt }) : h('span', { class: 'muted' }, `image ${missingImageText(side)}`),
      h('figcaption', null, caption),
    );
  };
  const one = (x: InversionExample) =>
    h(
      'div',
      { class: 'of-previews' },
      picture(x.target, `target image ${x.relPath}`, `x: ${x.relPath}`),
      picture(x.start, `start image ${x.startRelPath}`, `x₀: ${x.startRelPath}`),
      picture(x.inverted, `inversion of ${x.relPath} from ${x.startRelPath}`, `x_r (rel. error ${sig(x.relativeError, 3)})`),
    );
  return h(
    'div',
    { class: 'inversion-examples', 'data-testid': 'inversion-examples' },
    h('h4', null, sideTitle(ctx, side, `Examples: ${fileName(m.model)}`)),
    ...m.examples.map(one),
  );
}
