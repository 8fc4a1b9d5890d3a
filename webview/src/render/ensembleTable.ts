/**
 * The AutoAttack ensemble (attacks.ensemble, `attack --suite autoattack`): per attack of the cascade the images
 * it ran on (those every earlier attack left robust), the images it broke and the robust accuracy after it;
 * the ensemble's robust accuracy; and per image which attack broke it (filtered by outcome and paged, since a
 * run may have thousands of images). The attack table above it shows the same runs with each one's own
 * accuracy over the images it ran on; this is the ensemble's reading.
 */
import type { EnsembleImage, EnsembleSection } from '../../../src/engine/attacks/ensemble';
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import { attackName } from '../../../src/protocol/verdict';
import { count, epsilon, fixed, percent } from '../format';
import { className, classNames, type RenderContext, type SectionEntry, type Side } from './context';

/** Images per page of the per-image list. */
export const ENSEMBLE_PAGE_ROWS = 50;

export function renderEnsembles(entries: SectionEntry<AttacksSection>[], ctx: RenderContext): Node[] {
  return entries.filter((e) => e.section.ensemble).map(({ side, section }) => ensembleView(ctx, side, section.ensemble!));
}

/** What an image's cell says: the attack that broke it, or why none did. */
export function brokenByText(e: Pick<EnsembleSection, 'attacks'>, m: EnsembleImage): string {
  if (!m.cleanCorrect) return 'not attacked (wrong on the clean image)';
  if (m.brokenBy !== null) return attackName(e.attacks[m.brokenBy]?.label ?? `attack ${m.brokenBy + 1}`);
  return m.attacksRun < e.attacks.length ? `robust so far (${m.attacksRun} of ${e.attacks.length} attacks ran: cancelled)` : 'robust';
}

function ensembleView(ctx: RenderContext, side: Side, e: EnsembleSection): HTMLElement {
  const { h } = ctx;
  const prefix = ctx.compare ? `${side.label}: ` : '';
  const upper = e.complete ? '' : ' (an upper bound: the cascade was cancelled before every attack finished)';
  const headline = h(
    'p',
    { class: 'ensemble-headline', 'data-testid': 'ensemble-robust' },
    `${prefix}AutoAttack (${e.version}), ${epsilon(e.eps, e.norm)}: robust accuracy `,
    h('strong', null, percent(e.robustAccuracy)),
    ` (${e.robustCorrect} of ${e.evaluated} images; clean ${percent(e.cleanAccuracy)}, ${e.cleanCorrect})${upper}.`,
  );
  const columns: [string, string][] = [
    ['Attack', 'In cascade order: each attack runs only on the images every earlier one left robust'],
    ['Ran on', 'Images it ran on: correct on the clean image and not broken by an earlier attack'],
    ['Broke', 'Of those, the images it broke'],
    ['Robust after', 'Images still robust after it (every attack up to it failed)'],
    ['Robust accuracy after', 'Robust images after it ÷ all evaluated images'],
    ['Time', 'Seconds it ran'],
  ];
  const rows = e.attacks.map((a, k) =>
    h(
      'tr',
      { 'data-ensemble-attack': String(k) },
      h('th', { scope: 'row', title: a.label }, attackName(a.label), a.finished ? null : h('span', { class: 'muted' }, ' (cancelled)')),
      num(ctx, count(a.ranOn)),
      num(ctx, count(a.broke)),
      num(ctx, count(a.robustAfter)),
      num(ctx, percent(a.robustAccuracyAfter)),
      num(ctx, `${fixed(a.seconds, 1)} s`),
    ),
  );
  const total = h(
    'tr',
    { class: 'ensemble-total', 'data-ensemble-attack': 'all' },
    h('th', { scope: 'row' }, 'Ensemble'),
    num(ctx, count(e.cleanCorrect), 'Images attacked: correct on the clean image'),
    num(ctx, count(e.cleanCorrect - e.robustCorrect)),
    num(ctx, count(e.robustCorrect)),
    num(ctx, percent(e.robustAccuracy)),
    num(
      ctx,
      `${fixed(
        e.attacks.reduce((s, a) => s + a.seconds, 0),
        1,
      )} s`,
    ),
  );
  const table = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', 'data-testid': 'ensemble-table' },
      h('caption', null, `${prefix}Worst case over the ensemble: an image is robust only when every attack failed on it.`),
      h('thead', null, h('tr', null, ...columns.map(([label, title]) => h('th', { scope: 'col', title }, label)))),
      h('tbody', null, ...rows, total),
    ),
  );
  return h(
    'div',
    { class: 'ensemble', 'data-testid': 'ensemble', 'data-side': side.key },
    headline,
    table,
    e.notes.length ? h('ul', { class: 'notes' }, ...e.notes.map((n) => h('li', null, n))) : null,
    imageList(ctx, side, e),
  );
}

/** Per image, the attack that broke it: a filter (all, broken by each attack, robust, not attacked) and pages. */
function imageList(ctx: RenderContext, side: Side, e: EnsembleSection): HTMLElement {
  const { h } = ctx;
  const names = classNames(side);
  const uiKey = `ensemble:${side.key}`;
  const state = { show: 'all', page: 0, ...(JSON.parse(ctx.ui.get(uiKey) ?? '{}') as { show?: string; page?: number }) };
  const matches = (m: EnsembleImage): boolean => {
    if (state.show === 'all') return true;
    if (state.show === 'robust') return m.cleanCorrect && m.brokenBy === null;
    if (state.show === 'not-attacked') return !m.cleanCorrect;
    return m.brokenBy !== null && `broken:${m.brokenBy}` === state.show;
  };
  const select = h(
    'select',
    { 'aria-label': 'Which images', 'data-testid': 'ensemble-show' },
    h('option', { value: 'all' }, `All images (${e.images.length})`),
    ...e.attacks.map((a, k) => h('option', { value: `broken:${k}` }, `Broken by ${attackName(a.label)} (${a.broke})`)),
    h('option', { value: 'robust' }, `Robust (${e.robustCorrect})`),
    h('option', { value: 'not-attacked' }, `Not attacked (${e.evaluated - e.cleanCorrect})`),
  );
  const tbody = h('tbody', null);
  const pager = h('div', { class: 'per-image-pager' });
  const render = () => {
    ctx.ui.set(uiKey, JSON.stringify(state));
    const shown = e.images.filter(matches);
    const pages = Math.max(1, Math.ceil(shown.length / ENSEMBLE_PAGE_ROWS));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    tbody.replaceChildren(
      ...shown
        .slice(state.page * ENSEMBLE_PAGE_ROWS, (state.page + 1) * ENSEMBLE_PAGE_ROWS)
        .map((m) =>
          h(
            'tr',
            { 'data-image': m.relPath, 'data-broken-by': m.brokenBy === null ? null : String(m.brokenBy) },
            h('td', null, m.relPath),
            h('td', null, className(names, m.label)),
            h('td', null, brokenByText(e, m)),
          ),
        ),
    );
    const prev = h('button', { type: 'button', disabled: state.page === 0, 'data-testid': 'ensemble-prev' }, 'Previous');
    const next = h('button', { type: 'button', disabled: state.page >= pages - 1, 'data-testid': 'ensemble-next' }, 'Next');
    prev.addEventListener('click', () => {
      state.page--;
      render();
    });
    next.addEventListener('click', () => {
      state.page++;
      render();
    });
    pager.replaceChildren(prev, ` page ${state.page + 1} of ${pages} (${shown.length} images) `, next);
  };
  select.value = state.show;
  select.addEventListener('change', () => {
    state.show = select.value;
    state.page = 0;
    render();
  });
  render();
  return h(
    'details',
    { class: 'ensemble-images', 'data-testid': 'ensemble-images' },
    h('summary', null, 'Per image: which attack broke it'),
    h('label', null, 'Show ', select),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data' },
        h('thead', null, h('tr', null, ...['File', 'Class', 'Broken by'].map((c) => h('th', { scope: 'col' }, c)))),
        tbody,
      ),
    ),
    pager,
  );
}

function num(ctx: RenderContext, text: string, title?: string): HTMLElement {
  return ctx.h('td', { class: 'num', title: title ?? null }, text);
}
