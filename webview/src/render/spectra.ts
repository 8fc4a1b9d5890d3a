/**
 * Perturbation spectra per attack: the mean perturbation spectrum |F(δ)| and the mean log-spectrum
 * difference as heatmaps (DC in the centre), and the low-frequency energy ratio of the perturbations
 * against that of the clean images, as numbers.
 */
import { modeWords } from '../../../src/protocol/verdict';
import type { SpectraSection } from '../../../src/engine/report/sections';
import { heatmapFigure } from '../charts/heatmapFigure';
import { percent } from '../format';
import { sideTitle, type RenderContext, type SectionEntry } from './context';
import { autoScale, binNote, scaleNote } from './rct';

export function renderSpectra(entries: SectionEntry<SpectraSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  const energy = h(
    'table',
    { class: 'data', 'data-testid': 'lf-energy' },
    h('caption', null, `Low-frequency energy ratio: fraction of the energy inside S_l (|k_x|, |k_y| ≤ k_c).`),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ctx.compare ? h('th', { scope: 'col' }, 'Model') : null,
        h('th', { scope: 'col' }, 'Attack'),
        h('th', { scope: 'col' }, 'Mode'),
        h('th', { scope: 'col' }, 'Images'),
        h('th', { scope: 'col' }, 'k_c'),
        h('th', { scope: 'col' }, 'Perturbation'),
        h('th', { scope: 'col' }, 'Clean images'),
      ),
    ),
    h(
      'tbody',
      null,
      ...entries.flatMap(({ side, section }) =>
        section.entries.map((s) =>
          h(
            'tr',
            { 'data-attack': s.attack },
            ctx.compare ? h('td', null, side.label) : null,
            h('th', { scope: 'row' }, s.attack),
            h('td', { class: 'mode' }, modeWords(s.mode)),
            h('td', { class: 'num' }, String(s.count)),
            h('td', { class: 'num' }, String(section.cutoff)),
            h('td', { class: 'num' }, percent(s.lowFrequencyEnergyPerturbation)),
            h('td', { class: 'num' }, percent(s.lowFrequencyEnergyImages)),
          ),
        ),
      ),
    ),
  );
  const figures = entries.flatMap(({ side, section }, e) =>
    section.entries.flatMap((s, i) => {
      const common = {
        layout: 'centred-dft' as const,
        rowLabel: 'vertical frequency k_y (cycles per image)',
        colLabel: 'horizontal frequency k_x (cycles per image)',
      };
      const spectrumScale = autoScale(s.perturbationSpectrum);
      const diffScale = autoScale(s.logSpectrumDifference);
      return [
        heatmapFigure(h, ctx.exportTarget, {
          ...common,
          id: `spectrum-${side.key}-${e}-${i}`,
          title: sideTitle(ctx, side, `Perturbation spectrum: ${s.attack}`),
          caption: [
            `${modeWords(s.mode)}; mean |F(δ)| over ${s.count} adversarial examples, channel-averaged. DC (k = 0, 0) at the centre; |k| grows outwards.`,
            binNote(s.perturbationSpectrum),
            scaleNote(spectrumScale),
          ],
          map: s.perturbationSpectrum,
          scale: spectrumScale,
          valueLabel: 'mean |F(δ)| (pixel-value units)',
          testId: 'perturbation-spectrum',
        }).figure,
        heatmapFigure(h, ctx.exportTarget, {
          ...common,
          id: `logdiff-${side.key}-${e}-${i}`,
          title: sideTitle(ctx, side, `Log-spectrum difference: ${s.attack}`),
          caption: [
            `${modeWords(s.mode)}; mean |log|F(x+δ)| − log|F(x)||. DC (k = 0, 0) at the centre; |k| grows outwards.`,
            binNote(s.logSpectrumDifference),
            scaleNote(diffScale),
          ],
          map: s.logSpectrumDifference,
          scale: diffScale,
          valueLabel: 'mean |Δ ln|F|| (natural log, no unit)',
          testId: 'log-spectrum-difference',
        }).figure,
      ];
    }),
  );
  const definitions = [...new Set(entries.map((e) => e.section.definition))];
  return [...definitions.map((d) => h('p', { class: 'section-intro' }, d)), energy, h('div', { class: 'heatmap-grid' }, ...figures)];
}
