/**
 * Per-image results: every evaluated image as a row — file, true class, clean prediction, each attack's
 * outcome (or its minimal ε, L2, L∞, queries: one quantity at a time, chosen above the table) and each
 * defence's verdicts — filtered, sorted by any column and paged. Choosing a row (click, Enter or Space)
 * shows its detail: every number of the row, and where the run saved them the clean image, the adversarial
 * example, the amplified perturbation and the perturbation's spectrum. Images load from the run folder only.
 */
import type { PerImageSection } from '../../../src/engine/report/sections';
import { exampleFile } from '../../../src/protocol/perImageFiles';
import { heatmapFigure } from '../charts/heatmapFigure';
import { DASH, count, percent, sig } from '../format';
import { className, classNames, imageUrl, missingImageText, sideTitle, type RenderContext, type SectionEntry, type Side } from './context';
import { SPECTRUM_DEFINITION, loadPerturbationSpectrum } from './perImageSpectrum';

/** Rows per page: a 1,000-image run stays a light DOM. */
export const PAGE_ROWS = 50;

export type AttackMetric = 'outcome' | 'epsilon' | 'l2' | 'linf' | 'queries';
const METRICS: [AttackMetric, string][] = [
  ['outcome', 'outcome'],
  ['epsilon', 'minimal ε (minimal modes)'],
  ['l2', 'L2 of the perturbation'],
  ['linf', 'L∞ of the perturbation'],
  ['queries', 'queries'],
];

interface State {
  text: string;
  /** 'all' | 'misclassified' | 'broken:any' | 'broken:<attack index>' | 'withstood' */
  show: string;
  metric: AttackMetric;
  sort: { column: string; descending: boolean } | null;
  page: number;
  selected: number | null;
  /** Attack index whose example the detail shows. */
  example: number | null;
}

const DEFAULT_STATE: State = { text: '', show: 'all', metric: 'outcome', sort: null, page: 0, selected: null, example: null };

export function renderPerImage(entries: SectionEntry<PerImageSection>[], ctx: RenderContext): Node[] {
  return entries.map(({ side, section }) => perImageView(ctx, side, section));
}

interface Column {
  id: string;
  label: string;
  title: string;
  numeric: boolean;
  /** Sort key of a row (null sorts last). */
  key(i: number): number | string | null;
  cell(i: number): string;
}

function perImageView(ctx: RenderContext, side: Side, t: PerImageSection): HTMLElement {
  const { h } = ctx;
  const uiKey = `per-image:${side.key}`;
  const state: State = { ...DEFAULT_STATE, ...(JSON.parse(ctx.ui.get(uiKey) ?? '{}') as Partial<State>) };
  const save = () => ctx.ui.set(uiKey, JSON.stringify(state));
  const names = classNames(side);
  const rows = t.images.relPath.length;
  const isWrong = (i: number) => t.images.prediction[i] !== t.images.label[i];
  const saved = t.attacks.map((a) => new Map(a.saved.images.map((img, k) => [img, a.saved.amplification[k]])));

  const columns: Column[] = [
    {
      id: 'file',
      label: 'File',
      title: 'Image path in the dataset',
      numeric: false,
      key: (i) => t.images.relPath[i],
      cell: (i) => t.images.relPath[i],
    },
    {
      id: 'class',
      label: 'Class',
      title: 'True class',
      numeric: false,
      key: (i) => className(names, t.images.label[i]),
      cell: (i) => className(names, t.images.label[i]),
    },
    {
      id: 'prediction',
      label: 'Clean prediction',
      title: 'The undefended model’s top-1 class on the clean image, and its probability',
      numeric: false,
      key: (i) => className(names, t.images.prediction[i]),
      cell: (i) => `${className(names, t.images.prediction[i])}${isWrong(i) ? ' ✗' : ''}`,
    },
    {
      id: 'confidence',
      label: 'Confidence',
      title: 'Probability of the clean prediction',
      numeric: true,
      key: (i) => t.images.confidence[i],
      cell: (i) => percent(t.images.confidence[i]),
    },
    ...t.attacks.map((a, k): Column => {
      const value = (i: number): number | null => {
        switch (state.metric) {
          case 'outcome':
            return a.outcome[i];
          case 'epsilon':
            return a.epsilon ? a.epsilon[i] : null;
          case 'l2':
            return a.l2[i];
          case 'linf':
            return a.linf[i];
          case 'queries':
            return a.outcome[i] === 0 ? null : a.queries[i];
        }
      };
      return {
        id: `attack-${k}`,
        label: a.attack,
        title: `${a.attack} (${modeWords(a.mode)}): ${METRICS.find(([m]) => m === state.metric)![1]}`,
        numeric: state.metric !== 'outcome',
        key: value,
        cell: (i) =>
          state.metric === 'outcome' ? outcomeText(a.outcome[i], className(names, a.adversarialPrediction[i])) : sig(value(i), 3),
      };
    }),
    ...t.defences.map((d, k): Column => {
      const defended = (i: number) => d.adversarial.filter((v) => v.verdict[i] === 1).length;
      const examples = (i: number) => d.adversarial.filter((v) => v.verdict[i] >= 0).length;
      return {
        id: `defence-${k}`,
        label: d.defence,
        title: `${d.defence}, non-adaptive: right on the clean image, and adversarial examples it classifies correctly`,
        numeric: false,
        key: (i) => d.clean[i] + (examples(i) ? defended(i) / examples(i) : 0),
        cell: (i) => `clean ${d.clean[i] ? '✓' : '✗'}${examples(i) ? ` · ${defended(i)}/${examples(i)} examples` : ''}`,
      };
    }),
  ];

  const visible = (): number[] => {
    const text = state.text.trim().toLowerCase();
    const out: number[] = [];
    for (let i = 0; i < rows; i++) {
      if (!matchesShow(t, state.show, i)) continue;
      if (
        text &&
        ![t.images.relPath[i], className(names, t.images.label[i]), className(names, t.images.prediction[i])].some((s) =>
          s.toLowerCase().includes(text),
        )
      )
        continue;
      out.push(i);
    }
    const column = state.sort && columns.find((c) => c.id === state.sort!.column);
    if (column) {
      const sign = state.sort!.descending ? -1 : 1;
      out.sort((x, y) => {
        const a = column.key(x),
          b = column.key(y);
        if (a === null || b === null) return a === b ? x - y : a === null ? 1 : -1;
        const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
        return c !== 0 ? sign * c : x - y;
      });
    }
    return out;
  };

  // ---- controls ----
  const filter = h('input', {
    type: 'search',
    class: 'per-image-filter',
    'aria-label': 'Filter by file or class',
    placeholder: 'Filter by file or class',
    value: state.text,
    'data-testid': 'per-image-filter',
  });
  const show = h(
    'select',
    { 'aria-label': 'Which images', 'data-testid': 'per-image-show' },
    h('option', { value: 'all' }, 'All images'),
    h('option', { value: 'misclassified' }, 'Only misclassified clean'),
    h('option', { value: 'broken:any' }, 'Only broken by some attack'),
    ...t.attacks.map((a, k) => h('option', { value: `broken:${k}` }, `Only broken by ${a.attack}`)),
    h('option', { value: 'withstood' }, 'Only attacked and never broken'),
  );
  show.value = state.show;
  const metric = h(
    'select',
    { 'aria-label': 'Attack columns show', 'data-testid': 'per-image-metric' },
    ...METRICS.map(([m, label]) => h('option', { value: m }, label)),
  );
  metric.value = state.metric;
  const controls = h(
    'div',
    { class: 'per-image-controls' },
    filter,
    h('label', null, 'Show ', show),
    h('label', null, 'Attack columns: ', metric),
  );

  // ---- table ----
  const headRow = h('tr', null);
  const tbody = h('tbody', null);
  const table = h(
    'table',
    { class: 'data per-image-table', 'data-testid': 'per-image-table' },
    h(
      'caption',
      null,
      `One row per evaluated image (criterion ${t.criterion}). Choose a row for its images and numbers; sort by clicking a column heading.`,
    ),
    h('thead', null, headRow),
    tbody,
  );
  const status = h('span', { class: 'per-image-status', 'aria-live': 'polite', 'data-testid': 'per-image-status' });
  const prev = h('button', { type: 'button', class: 'per-image-prev' }, 'Previous');
  const next = h('button', { type: 'button', class: 'per-image-next' }, 'Next');
  const pager = h('div', { class: 'per-image-pager' }, prev, status, next);
  const detail = h('div', { class: 'per-image-detail', 'aria-live': 'polite', 'data-testid': 'per-image-detail' });

  const drawHead = () => {
    headRow.replaceChildren(
      ...columns.map((c) => {
        const sorted = state.sort?.column === c.id ? (state.sort.descending ? 'descending' : 'ascending') : null;
        const button = h('button', { type: 'button', class: 'sort', title: c.title }, c.label);
        button.addEventListener('click', () => {
          state.sort = { column: c.id, descending: state.sort?.column === c.id ? !state.sort.descending : false };
          state.page = 0;
          save();
          draw();
        });
        return h('th', { scope: 'col', 'aria-sort': sorted, 'data-column': c.id, class: c.numeric ? 'num' : null }, button);
      }),
    );
  };

  const select = (i: number) => {
    state.selected = i;
    state.example = null;
    save();
    for (const tr of tbody.querySelectorAll('tr[data-row]'))
      tr.setAttribute('aria-selected', String(Number(tr.getAttribute('data-row')) === i));
    drawDetail();
  };

  const draw = () => {
    drawHead();
    const order = visible();
    const pages = Math.max(1, Math.ceil(order.length / PAGE_ROWS));
    state.page = Math.min(state.page, pages - 1);
    const start = state.page * PAGE_ROWS;
    const shown = order.slice(start, start + PAGE_ROWS);
    tbody.replaceChildren(
      ...shown.map((i) => {
        const tr = h(
          'tr',
          { tabindex: 0, 'data-row': i, 'aria-selected': String(state.selected === i), class: isWrong(i) ? 'misclassified' : null },
          ...columns.map((c, k) => h(k === 0 ? 'th' : 'td', { scope: k === 0 ? 'row' : null, class: c.numeric ? 'num' : null }, c.cell(i))),
        );
        tr.addEventListener('click', () => select(i));
        tr.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            select(i);
          } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            const to = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
            to?.focus();
          }
        });
        return tr;
      }),
    );
    status.textContent = order.length
      ? `Rows ${count(start + 1)}–${count(start + shown.length)} of ${count(order.length)}${order.length < rows ? ` (${count(rows)} images in all)` : ''}`
      : `No image matches (${count(rows)} images in all)`;
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
  };

  const drawDetail = () => {
    const i = state.selected;
    if (i === null || i >= rows) {
      detail.replaceChildren(h('p', { class: 'muted' }, 'Choose a row to see its images and numbers.'));
      return;
    }
    detail.replaceChildren(
      ...detailContent(ctx, side, t, i, saved, state, (k) => {
        state.example = k;
        save();
        drawDetail();
      }),
    );
  };

  filter.addEventListener('input', () => {
    state.text = filter.value;
    state.page = 0;
    save();
    draw();
  });
  show.addEventListener('change', () => {
    state.show = show.value;
    state.page = 0;
    save();
    draw();
  });
  metric.addEventListener('change', () => {
    state.metric = metric.value as AttackMetric;
    save();
    draw();
  });
  prev.addEventListener('click', () => {
    state.page = Math.max(0, state.page - 1);
    save();
    draw();
  });
  next.addEventListener('click', () => {
    state.page += 1;
    save();
    draw();
  });
  draw();
  drawDetail();
  return h(
    'div',
    { class: 'per-image', 'data-testid': 'per-image' },
    ctx.compare ? h('h3', null, sideTitle(ctx, side, 'Per-image results')) : null,
    controls,
    h('div', { class: 'table-wrap' }, table),
    pager,
    h('p', { class: 'muted per-image-note' }, t.examples.note),
    detail,
  );
}

function matchesShow(t: PerImageSection, show: string, i: number): boolean {
  if (show === 'misclassified') return t.images.prediction[i] !== t.images.label[i];
  if (show === 'broken:any') return t.attacks.some((a) => a.outcome[i] === 2);
  if (show === 'withstood') return t.attacks.some((a) => a.outcome[i] === 1) && t.attacks.every((a) => a.outcome[i] !== 2);
  if (show.startsWith('broken:')) return t.attacks[Number(show.slice(7))]?.outcome[i] === 2;
  return true;
}

function outcomeText(outcome: number, adversarialClass: string): string {
  if (outcome === 2) return `broken → ${adversarialClass}`;
  if (outcome === 1) return 'withstood';
  return `${DASH} not attacked`;
}

function modeWords(mode: string): string {
  switch (mode) {
    case 'fixed-eps':
      return 'fixed ε';
    case 'minimal-eps':
      return 'minimal ε';
    case 'minimal-perturbation':
      return 'minimal perturbation';
    case 'query-limited':
      return 'query-limited';
    default:
      return mode;
  }
}

function detailContent(
  ctx: RenderContext,
  side: Side,
  t: PerImageSection,
  i: number,
  saved: Map<number, number>[],
  state: State,
  chooseExample: (attack: number) => void,
): Node[] {
  const { h } = ctx;
  const names = classNames(side);
  const truth = className(names, t.images.label[i]);
  const predicted = className(names, t.images.prediction[i]);
  const wrong = t.images.prediction[i] !== t.images.label[i];
  const attacked = t.attacks.some((a) => a.outcome[i] > 0);
  // The defended model's verdict and, where the report has it, the class it predicted.
  const verdict = (v: number, predictedClass: number | undefined) =>
    v < 0
      ? DASH
      : `${v === 1 ? 'right' : 'wrong'}${predictedClass !== undefined && predictedClass >= 0 ? ` (${className(names, predictedClass)})` : ''}`;
  const numbers = h(
    'table',
    { class: 'data', 'data-testid': 'per-image-numbers' },
    h('caption', null, 'Every attack on this image (the defended verdicts are non-adaptive, at each defence’s chosen configuration).'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ...['Attack', 'Mode', 'Outcome', 'Minimal ε', 'L2', 'L∞', 'Queries'].map((c) =>
          h(
            'th',
            {
              scope: 'col',
              title: c === 'Minimal ε' ? 'The smallest budget that broke the image (minimal-ε and minimal-perturbation attacks)' : null,
            },
            c,
          ),
        ),
        ...t.defences.map((d) =>
          h(
            'th',
            { scope: 'col', title: `${d.defence}'s verdict on the adversarial example and the class it predicts` },
            `${d.defence} on the example`,
          ),
        ),
      ),
    ),
    h(
      'tbody',
      null,
      ...t.attacks.map((a) =>
        h(
          'tr',
          { 'data-attack': a.attack },
          h('th', { scope: 'row' }, a.attack),
          h('td', null, modeWords(a.mode)),
          h('td', null, outcomeText(a.outcome[i], className(names, a.adversarialPrediction[i]))),
          h('td', { class: 'num' }, a.epsilon && a.epsilon[i] !== null ? `${sig(a.epsilon[i], 3)} ${a.norm === 'l2' ? 'L2' : 'L∞'}` : DASH),
          h('td', { class: 'num' }, sig(a.l2[i], 3)),
          h('td', { class: 'num' }, sig(a.linf[i], 3)),
          h('td', { class: 'num' }, a.outcome[i] ? count(a.queries[i]) : DASH),
          ...t.defences.map((d) => {
            const v = d.adversarial.find((x) => x.attack === a.attack);
            return h('td', null, verdict(v?.verdict[i] ?? -1, v?.prediction?.[i]));
          }),
        ),
      ),
    ),
  );
  const out: Node[] = [
    h('h3', null, t.images.relPath[i]),
    h(
      'p',
      null,
      `True class ${truth}; clean prediction ${predicted} (${percent(t.images.confidence[i])})${wrong ? ', misclassified' : ''}${
        attacked ? '' : `; not attacked (the attacks start from the images classified correctly under ${t.criterion})`
      }.`,
      ...t.defences.map((d) => ` ${d.defence} on the clean image: ${verdict(d.clean[i], d.cleanPrediction?.[i])}.`),
    ),
    numbers,
  ];
  const broken = t.attacks.flatMap((a, k) => (a.outcome[i] === 2 ? [k] : []));
  const withFiles = broken.filter((k) => saved[k].has(i));
  if (broken.length === 0) {
    out.push(
      h('p', { class: 'muted' }, `${attacked ? 'No attack broke this image' : 'Not attacked'}: there is no adversarial example to show.`),
    );
    return out;
  }
  if (withFiles.length === 0) {
    out.push(
      h('p', { class: 'muted', 'data-testid': 'per-image-no-examples' }, `No example images were saved for this image. ${t.examples.note}`),
    );
    return out;
  }
  const k = state.example !== null && withFiles.includes(state.example) ? state.example : withFiles[0];
  if (withFiles.length > 1) {
    out.push(
      h(
        'div',
        { class: 'per-image-examples', role: 'group', 'aria-label': 'Example of which attack' },
        ...withFiles.map((a) => {
          const b = h('button', { type: 'button', 'aria-pressed': String(a === k) }, t.attacks[a].attack);
          b.addEventListener('click', () => chooseExample(a));
          return b;
        }),
      ),
    );
  }
  const attack = t.attacks[k];
  const amplification = saved[k].get(i)!;
  const files: [string, string, string][] = [
    ['clean', exampleFile(t.examples.clean, k, i), `predicted ${predicted}`],
    ['adversarial', exampleFile(t.examples.adversarial, k, i), `predicted ${className(names, attack.adversarialPrediction[i])}`],
    ['perturbation', exampleFile(t.examples.perturbation, k, i), `×${sig(amplification, 3)} amplified`],
  ];
  const spectrum = h('div', { class: 'per-image-spectrum', 'data-testid': 'per-image-spectrum' }, 'Computing the perturbation’s spectrum…');
  out.push(
    h(
      'div',
      { class: 'gallery-images per-image-images', 'data-attack': attack.attack },
      ...files.map(([kind, path, note]) =>
        imageCell(ctx, side, kind, path, `${kind} image of ${t.images.relPath[i]} (${note})`, `${kind}: ${note}`),
      ),
    ),
    spectrum,
  );
  const src = imageUrl(side, files[2][1]);
  if (!src)
    spectrum.textContent = side.embeddedImages
      ? 'Spectrum unavailable: the perturbation image is not embedded in this report (size cap).'
      : 'Spectrum unavailable: the perturbation’s path leaves the run folder.';
  else
    loadPerturbationSpectrum(h.doc, src, amplification).then(
      (map) => {
        spectrum.replaceChildren(
          heatmapFigure(h, ctx.exportTarget, {
            id: `per-image-spectrum-${side.key}-${k}-${i}`,
            title: `Perturbation spectrum: ${t.images.relPath[i]}, ${attack.attack}`,
            caption: [SPECTRUM_DEFINITION],
            map,
            scale: 'log',
            layout: 'centred-dft',
            valueLabel: '|F(δ)|',
            rowLabel: 'vertical frequency k_y (cycles per image)',
            colLabel: 'horizontal frequency k_x (cycles per image)',
            testId: 'per-image-spectrum-heatmap',
          }).figure,
        );
      },
      (e: unknown) => {
        spectrum.textContent = `Spectrum unavailable: ${e instanceof Error ? e.message : String(e)}`;
      },
    );
  return out;
}

function imageCell(ctx: RenderContext, side: Side, kind: string, path: string, alt: string, caption: string): HTMLElement {
  const { h } = ctx;
  const src = imageUrl(side, path);
  const img = src ? h('img', { src, alt, 'data-kind': kind }) : h('span', { class: 'muted' }, missingImageText(side));
  const label = h('span', { class: 'gallery-label' }, caption);
  // Only the panel's own run folder is known to the host, so only its images open.
  if (side.key !== 'a' || !src || ctx.standalone) return h('div', { class: 'gallery-cell' }, img, label);
  const button = h('button', { type: 'button', class: 'gallery-cell artefact', title: `Open ${path}` }, img, label);
  button.addEventListener('click', () => ctx.openArtefact(path.replace(/\\/g, '/')));
  return button;
}
