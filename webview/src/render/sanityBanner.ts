/**
 * The sanity check's banner, at the top of the panel (above the summary): what looks wrong with the run's
 * labels or preprocessing, in the theme's error / warning colours, and — when the confusion matrix looks like
 * a permutation of the classes — the class order it implies (logit → class) with the accuracy it would give,
 * and "Apply this class order", which asks the host to write it into the run's configuration file. Nothing
 * is shown when every check passed.
 */
import type { SanityFinding, SanitySection } from '../../../src/engine/report/sections';
import { percent } from '../format';
import type { RenderContext, SectionEntry } from './context';

const CHECK_TITLES: Record<SanityFinding['check'], string> = {
  permutation: 'Class order looks permuted',
  'near-chance': 'Accuracy near chance',
  'confidence-gap': 'Confident but wrong',
  'single-class': 'Every image predicts one class',
  'probabilities-as-logits': 'Probabilities treated as logits',
};

/** Above this many classes the mapping table shows only the logits whose name changes. */
const FULL_TABLE_MAX = 20;

export function renderSanityBanner(entries: SectionEntry<SanitySection>[], ctx: RenderContext): Node[] {
  return entries.filter((e) => Array.isArray(e.section.findings) && e.section.findings.length > 0).map((e) => banner(e, ctx));
}

function banner(entry: SectionEntry<SanitySection>, ctx: RenderContext): HTMLElement {
  const { h } = ctx;
  const { section, side } = entry;
  const error = section.findings.some((f) => f.severity === 'error');
  const heading = `${ctx.compare ? `${side.label}: ` : ''}Sanity check failed — ${error ? 'these results are probably wrong' : 'these results may be wrong'}`;
  const el = h(
    'div',
    { class: `sanity-banner ${error ? 'sanity-error' : 'sanity-warning'}`, role: 'alert', 'data-testid': 'sanity-banner' },
    h('h2', { class: 'sanity-title' }, heading),
    h(
      'ul',
      { class: 'sanity-findings' },
      ...section.findings.map((f) =>
        h(
          'li',
          { 'data-check': f.check, class: `sanity-${f.severity}` },
          h('strong', null, `${CHECK_TITLES[f.check] ?? f.check}: `),
          f.message,
        ),
      ),
    ),
  );
  if (section.proposal) el.appendChild(proposal(entry, section.proposal, ctx));
  return el;
}

function proposal(entry: SectionEntry<SanitySection>, p: NonNullable<SanitySection['proposal']>, ctx: RenderContext): HTMLElement {
  const { h } = ctx;
  const current = currentNames(entry);
  const changed = p.classNames.map((_, j) => j).filter((j) => current[j] !== p.classNames[j]);
  const shown = p.classNames.length <= FULL_TABLE_MAX ? p.classNames.map((_, j) => j) : changed;
  const table = h(
    'table',
    { class: 'data sanity-mapping', 'data-testid': 'sanity-mapping' },
    h(
      'caption',
      null,
      p.classNames.length <= FULL_TABLE_MAX
        ? 'Proposed class order'
        : `Proposed class order: the ${changed.length} logits whose name changes`,
    ),
    h(
      'thead',
      null,
      h('tr', null, h('th', { scope: 'col' }, 'Logit'), h('th', { scope: 'col' }, 'Proposed class'), h('th', { scope: 'col' }, 'Now')),
    ),
    h(
      'tbody',
      null,
      ...shown.map((j) =>
        h(
          'tr',
          { 'data-logit': j, class: changed.includes(j) ? 'changed' : null },
          h('td', { class: 'num' }, String(j)),
          h('td', null, p.classNames[j]),
          h('td', { class: 'muted' }, current[j] ?? '—'),
        ),
      ),
    ),
  );
  const reportId = entry.side.report?.id;
  const sentKey = `sanity-applied:${reportId ?? ''}`;
  const sent = ctx.ui.get(sentKey) === 'sent';
  const ready = typeof reportId === 'string' && reportId.length > 0;
  const button = h(
    'vscode-button',
    {
      'data-testid': 'apply-class-order',
      disabled: !ready || sent,
      'aria-disabled': !ready || sent ? 'true' : null,
      title: ready
        ? 'Write these class names into the configuration file this run used'
        : 'Available once the run has a report (when it finishes, or after Cancel)',
    },
    sent ? 'Class order sent to VS Code' : 'Apply this class order',
  );
  button.addEventListener('click', () => {
    if (!ready || ctx.ui.get(sentKey) === 'sent') return;
    ctx.ui.set(sentKey, 'sent');
    ctx.applyClassOrder(reportId);
    button.textContent = 'Class order sent to VS Code';
    button.setAttribute('disabled', '');
    button.setAttribute('aria-disabled', 'true');
  });
  // A standalone HTML report has no VS Code to write the configuration: the proposal is shown, not offered.
  const actions = ctx.standalone
    ? h('p', { class: 'muted' }, 'Open this run in VS Code to apply this class order (Apply this class order in its panel).')
    : h('div', { class: 'sanity-actions' }, button);
  return h(
    'div',
    { class: 'sanity-proposal' },
    h(
      'p',
      null,
      `With this class order, clean accuracy would be ${percent(p.accuracy)} instead of ${percent(p.currentAccuracy)} (${p.evaluated} images).`,
    ),
    h('div', { class: 'table-wrap' }, table),
    actions,
  );
}

/** The names the run used, by logit. */
function currentNames(entry: SectionEntry<SanitySection>): string[] {
  const r = entry.side.report;
  return r?.dataset?.classNames ?? r?.config?.resolved?.classNames ?? [];
}
