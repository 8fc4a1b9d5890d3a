/**
 * Occluded Frequency bars: how much the scored logit drops when each frequency band is ablated, for the
 * dataset mean, a class average or one image (selectable), all models on one chart in compare mode. Bands
 * whose ablation flips the top-1 prediction are marked; the image view adds the dataset mean as reference
 * ticks, the image itself with its prediction and confidence, and previews of the ablated image for the
 * top-3 bands. A run that explained a single image (Explain Image Frequencies) opens on that image, since
 * its "mean" and "class average" are the same image again. A run that ablated bands in groups (bandGroup g > 1)
 * has one bar per group, labelled by its band range ("20–23").
 */
import type { ReportV1 } from '../../../src/engine/report/schema';
import type { OccludedFrequencyImage, OccludedFrequencyModel, OccludedFrequencySection } from '../../../src/engine/report/sections';
import { barChart, type BarGroup } from '../charts/barChart';
import type { Cell, ChartData } from '../charts/dataTable';
import { chartFigure, standaloneSvg, type Figure } from '../charts/exportChart';
import { baseName, percent, sig } from '../format';
import { bandLabel, bandTick, sectionBandGroup } from '../../../src/protocol/ofBands';
import { className, classNames, imageUrl, missingImageText, type RenderContext, type SectionEntry, type Side } from './context';

interface ModelEntry {
  side: Side;
  section: OccludedFrequencySection;
  model: OccludedFrequencyModel;
  label: string;
}

/** 'mean', 'class:<index>' or 'image:<relPath>'. */
export type OfView = string;
const UI_KEY = 'of-view';

export function renderOccludedFrequency(entries: SectionEntry<OccludedFrequencySection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  const all: ModelEntry[] = entries.flatMap(({ side, section }) => section.models.map((model) => ({ side, section, model, label: '' })));
  if (all.length === 0) return [h('p', { class: 'muted' }, 'No Occluded Frequency results.')];
  const bands = all[0].section.bands;
  const group = sectionBandGroup(all[0].section);
  const models = all.filter((m) => m.section.bands === bands && sectionBandGroup(m.section) === group);
  const labels = models.map((m) => baseName(m.model.model));
  models.forEach((m, i) => {
    m.label = labels.filter((l) => l === labels[i]).length > 1 ? `${m.side.label}: ${labels[i]}` : labels[i];
  });
  const names = classNames(models[0].side);
  const single = singleImage(models);
  const options = viewOptions(models, names, single);
  const stored = ctx.ui.get(UI_KEY);
  let view = options.some((o) => o.value === stored) ? stored! : options[0].value;

  const select = h(
    'select',
    { id: 'of-view', 'aria-label': 'Occluded Frequency view' },
    ...options.map((o) => h('option', { value: o.value, selected: o.value === view }, o.label)),
  );
  const holder = h('div', { class: 'of-view' });
  const draw = () => {
    holder.replaceChildren(...ofFigure(ctx, models, view, bands, group, names));
  };
  select.addEventListener('change', () => {
    view = select.value;
    ctx.ui.set(UI_KEY, view);
    draw();
  });
  draw();
  const skipped = all.length - models.length;
  const s = models[0].section;
  return [
    h(
      'p',
      { class: 'section-intro' },
      s.definition,
      ` Baseline: ${s.baseline}; scored on ${s.scoreOn}; ${bands} bands${group > 1 ? ` ablated in ${Math.ceil(bands / group)} groups of ${group}` : ''}${s.seed !== null ? `; seed ${s.seed}` : ''}.`,
    ),
    ...(options.length > 1
      ? [h('label', { class: 'control', for: 'of-view' }, 'Show ', select)]
      : [h('p', { 'data-testid': 'of-image' }, `One image explained: ${singleImageText(models[0].model.images[0], names)}.`)]),
    ...(skipped
      ? [h('p', { class: 'muted' }, `${skipped} model(s) with a different number of bands or band grouping are not shown on this chart.`)]
      : []),
    holder,
  ];
}

/** Every model explained the same one image: a mean or class average would repeat it. */
function singleImage(models: ModelEntry[]): boolean {
  const paths = new Set(models.flatMap((m) => m.model.images.map((i) => i.relPath)));
  const counted = (m: OccludedFrequencyModel) => m.perClass.reduce((n, pc) => n + (pc?.count ?? 0), 0);
  return paths.size === 1 && models.every((m) => m.model.images.length === 1 && counted(m.model) <= 1);
}

function labelText(names: string[], label: number): string {
  return label >= 0 ? className(names, label) : 'unknown';
}

function imageText(names: string[], img: OccludedFrequencyImage): string {
  return `${img.relPath} (${img.label >= 0 ? `${labelText(names, img.label)}, ` : ''}predicted ${className(names, img.predicted)}${img.confidence !== undefined ? ` ${percent(img.confidence)}` : ''})`;
}

function singleImageText(img: OccludedFrequencyImage, names: string[]): string {
  return `${img.file ?? img.relPath}, ${img.label >= 0 ? `label ${labelText(names, img.label)}, ` : ''}predicted ${className(names, img.predicted)}${img.confidence !== undefined ? ` (confidence ${percent(img.confidence)})` : ''}`;
}

/**
 * The image an explain run looked at, for a summary line: file, prediction and confidence; null when the
 * report is not of one explained image.
 */
export function explainedImageSummary(report: ReportV1 | null): string | null {
  const of = report?.sections.occludedFrequency as OccludedFrequencySection | undefined;
  const img = of?.models?.[0]?.images?.length === 1 ? of.models[0].images[0] : null;
  if (!report || report.command !== 'explain' || !img) return null;
  return singleImageText(img, report.dataset?.classNames ?? report.config.resolved.classNames ?? []);
}

function viewOptions(models: ModelEntry[], names: string[], single: boolean): { value: OfView; label: string }[] {
  const classes = new Map<number, number>();
  for (const m of models)
    m.model.perClass.forEach((pc, k) => {
      if (pc) classes.set(k, Math.max(classes.get(k) ?? 0, pc.count));
    });
  const images = new Map<string, OccludedFrequencyImage>();
  for (const m of models) for (const img of m.model.images) if (!images.has(img.relPath)) images.set(img.relPath, img);
  const imageOptions = [...images.values()].map((img) => ({ value: `image:${img.relPath}`, label: `Image: ${imageText(names, img)}` }));
  if (single) return imageOptions;
  return [
    { value: 'mean', label: 'Dataset mean (all images)' },
    ...[...classes]
      .sort((a, b) => a[0] - b[0])
      .map(([k, n]) => ({ value: `class:${k}`, label: `Class average: ${className(names, k)} (${n} images)` })),
    ...imageOptions,
  ];
}

interface Bars {
  scores: number[] | null;
  /** Per band: flipped (image) or the flip rate (aggregates). */
  flips: (boolean | number)[] | null;
  image: OccludedFrequencyImage | null;
}

function barsFor(m: OccludedFrequencyModel, view: OfView): Bars {
  if (view === 'mean') return { scores: m.mean, flips: m.flipRate, image: null };
  if (view.startsWith('class:')) {
    const pc = m.perClass[Number(view.slice(6))];
    return { scores: pc?.scores ?? null, flips: pc?.flipRate ?? null, image: null };
  }
  const img = m.images.find((i) => i.relPath === view.slice(6)) ?? null;
  return { scores: img?.scores ?? null, flips: img?.flips ?? null, image: img };
}

function flipNote(f: boolean | number | undefined): string | null {
  if (f === true) return 'ablating it flips the top-1 prediction';
  if (typeof f === 'number' && f > 0) return `flips the top-1 prediction on ${percent(f, 0)} of the images`;
  return null;
}

function ofFigure(ctx: RenderContext, models: ModelEntry[], view: OfView, bands: number, group: number, names: string[]): Node[] {
  const { h } = ctx;
  const per = models.map((m) => ({ m, bars: barsFor(m.model, view) }));
  // One bar per band, or per group of `group` bands labelled by its range.
  const categories = Array.from({ length: Math.ceil(bands / group) }, (_, b) => bandTick(b, group, bands));
  const groups: BarGroup[] = per.map(({ m, bars }) => ({
    name: m.label,
    values: categories.map((_, b) => bars.scores?.[b] ?? null),
    marks: categories.map((_, b) => flipNote(bars.flips?.[b])),
  }));
  const viewLabel =
    view === 'mean'
      ? 'dataset mean'
      : view.startsWith('class:')
        ? `class ${className(names, Number(view.slice(6)))}`
        : `image ${view.slice(6)}`;
  const title = `Occluded Frequency: ${viewLabel}`;
  // The dataset mean behind a class or image view (one model only: with two, the ticks would be ambiguous;
  // none for a single explained image, whose "mean" is itself).
  const reference =
    view !== 'mean' && models.length === 1 && !singleImage(models) ? { name: 'dataset mean', values: models[0].model.mean } : null;
  let fig: Figure | null = null;
  const scoreOn = models[0].section.scoreOn === 'logits' ? 'logit' : 'log-probability';
  const chart = barChart(ctx.h.doc, {
    id: 'of-chart',
    title,
    categories,
    xLabel: group > 1 ? `frequency bands, in groups of ${group} (low → high)` : 'frequency band (low → high)',
    yLabel: `${scoreOn} drop`,
    groups,
    reference,
    testId: 'of-chart',
    formatY: (v) => sig(v, 3),
    announce: (t) => fig?.announce(t),
  });
  const columns = [
    { label: group > 1 ? 'bands' : 'band' },
    ...per.flatMap(({ m }) => [
      { label: `${m.label} score` },
      {
        label: `${m.label} ${view.startsWith('image:') ? 'flips' : 'flip rate'}`,
        format: (v: Cell) => (typeof v === 'number' ? percent(v, 0) : v === null ? '—' : v ? 'yes' : 'no'),
      },
    ]),
  ];
  const data: ChartData = {
    columns: reference ? [...columns, { label: 'dataset mean score' }] : columns,
    rows: categories.map((tick, b) => [
      group > 1 ? tick : b,
      ...per.flatMap(({ bars }) => [bars.scores?.[b] ?? null, bars.flips?.[b] ?? null]),
      ...(reference ? [reference.values[b] ?? null] : []),
    ]),
  };
  const imageInfo = per
    .map(({ m, bars }) =>
      bars.image
        ? `${m.label}: label ${labelText(names, bars.image.label)}, predicted ${className(names, bars.image.predicted)}${bars.image.confidence !== undefined ? ` (confidence ${percent(bars.image.confidence)})` : ''}, clean ${scoreOn} ${sig(bars.image.cleanLogit, 4)}.`
        : null,
    )
    .filter(Boolean)
    .join(' ');
  fig = chartFigure(ctx.h, ctx.exportTarget, {
    id: 'of-chart',
    title,
    caption: [
      `Drop of the predicted class's ${scoreOn} when each ${group > 1 ? `group of ${group} bands` : 'band'} is ablated. `,
      imageInfo,
    ],
    body: [chart.svg],
    data,
    svg: () => standaloneSvg(chart.svg, title),
  });
  const pictures = per.flatMap(({ m, bars }) =>
    bars.image ? imagePictures(ctx, m, bars.image, models.length > 1, names, group, bands) : [],
  );
  if (pictures.length === 0) return [fig.figure];
  return [
    fig.figure,
    h(
      'div',
      { class: 'of-previews', 'aria-label': 'The image and its ablated previews for the top-3 bands', 'data-testid': 'of-previews' },
      ...pictures,
    ),
  ];
}

/** The image as the model saw it (with prediction and confidence), then the ablated previews of its top bands. */
function imagePictures(
  ctx: RenderContext,
  m: ModelEntry,
  image: OccludedFrequencyImage,
  compare: boolean,
  names: string[],
  group: number,
  bands: number,
): HTMLElement[] {
  const { h } = ctx;
  const prefix = compare ? `${m.label}: ` : '';
  const picture = (path: string, alt: string, cls: string, ...caption: (string | HTMLElement)[]) => {
    const src = imageUrl(m.side, path);
    return h(
      'figure',
      { class: `preview ${cls}` },
      src ? h('img', { src, alt }) : h('span', { class: 'muted' }, `preview ${missingImageText(m.side)}`),
      h('figcaption', null, ...caption),
    );
  };
  const out: HTMLElement[] = [];
  if (image.original) {
    out.push(
      picture(
        image.original,
        `${image.relPath} as the model saw it, predicted ${className(names, image.predicted)}`,
        'original',
        `${prefix}original`,
        h('br'),
        h(
          'span',
          { class: 'prediction', 'data-testid': 'of-prediction' },
          `predicted ${className(names, image.predicted)}${image.confidence !== undefined ? `, ${percent(image.confidence)}` : ''}`,
        ),
      ),
    );
  }
  for (const p of image.previews ?? [])
    out.push(
      picture(
        p.path,
        `${image.relPath} with frequency ${bandLabel(p.band, group, bands)} ablated`,
        'ablated',
        `${prefix}${bandLabel(p.band, group, bands)} ablated (score ${sig(image.scores[p.band], 3)})`,
      ),
    );
  return out;
}
