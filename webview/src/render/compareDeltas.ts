/**
 * Compare mode of the tables: the rows of the two runs paired (same attack, norm and mode; same defence),
 * and a "B − A" row after each pair with the change of each rate in percentage points. A pair whose ε
 * differs gets no deltas, only why: a difference across budgets is not a change of robustness.
 */
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import type { DefenceAttackRef, DefenceResult, DefenceRow, DefencesSection } from '../../../src/engine/report/sections';
import { DASH, pointsChange, sig } from '../format';
import type { RenderContext, SectionEntry, Side } from './context';

export interface Pair<T> {
  a: T | null;
  b: T | null;
}

/**
 * Pairs the items of A and B by key, A's order first, then what only B has; the k-th item of a key in A
 * pairs with the k-th of that key in B.
 */
export function pairBy<T>(as: readonly T[], bs: readonly T[], key: (t: T) => string): Pair<T>[] {
  const occurrence = (list: readonly T[]) => {
    const seen = new Map<string, number>();
    return list.map((t) => {
      const k = key(t);
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1);
      return `${k}#${n}`;
    });
  };
  const ka = occurrence(as);
  const kb = occurrence(bs);
  const out: Pair<T>[] = as.map((a, i) => {
    const j = kb.indexOf(ka[i]);
    return { a, b: j >= 0 ? bs[j] : null };
  });
  bs.forEach((b, j) => {
    if (!ka.includes(kb[j])) out.push({ a: null, b });
  });
  return out;
}

type Run = AttacksSection['runs'][number];

function norm(params: Record<string, unknown>, label: string): string {
  if (typeof params.norm === 'string') return params.norm;
  return label.includes('L2') ? 'l2' : 'linf';
}

/** An attack's identity across runs: its name (or its label's first word), norm, mode and target; not its ε. */
export function attackPairKey(run: Pick<Run, 'params' | 'label' | 'mode' | 'targeted'>): string {
  // Older reports lack params.attack: the label's leading word ("DeepFool-50" → deepfool) names it.
  const name =
    typeof run.params.attack === 'string'
      ? run.params.attack
      : (/^[A-Za-z&]+/.exec(run.label)?.[0].toLowerCase().replace('&', '') ?? run.label);
  return `${name}|${norm(run.params, run.label)}|${run.mode}|${run.targeted ?? ''}`;
}

/** A defence row's attack across runs: the label's first word (e.g. "PGD-10"), norm and mode. */
export function defenceAttackKey(a: DefenceAttackRef): string {
  return `${a.label.split(' ')[0]}|${a.norm}|${a.mode}`;
}

/** The two sides' entries of one section kind. */
export function sidesOf<T>(entries: SectionEntry<T>[]): {
  a: SectionEntry<T>[];
  b: SectionEntry<T>[];
  sideA: Side | null;
  sideB: Side | null;
} {
  const a = entries.filter((e) => e.side.key === 'a');
  const b = entries.filter((e) => e.side.key === 'b');
  return { a, b, sideA: a[0]?.side ?? null, sideB: b[0]?.side ?? null };
}

/** B − A of two fractions in percentage points ("−2.1 pp"). */
export function rateDelta(a: number | null | undefined, b: number | null | undefined): string {
  return typeof a === 'number' && typeof b === 'number' ? pointsChange(b - a) : DASH;
}

/** B − A of two plain numbers, signed ("+0.012", "−0.3"). */
export function valueDelta(a: number | null | undefined, b: number | null | undefined, digits = 3): string {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b)) return DASH;
  const d = b - a;
  return d === 0 ? '±0' : `${d > 0 ? '+' : ''}${sig(d, digits)}`;
}

/** "8/255" or a plain number: the ε of a pair that differs. */
function epsWords(v: unknown): string {
  if (typeof v !== 'number') return 'none';
  const k = v * 255;
  return Math.abs(k - Math.round(k)) < 1e-6 ? `${Math.round(k)}/255` : sig(v, 3);
}

/** Deltas of the attack table's columns, by column label (a column without one gets an empty cell). */
const ATTACK_DELTAS: Record<string, (a: Run, b: Run) => string> = {
  ε: (a, b) => (a.mode === 'minimal-eps' ? `median ${valueDelta(a.epsilon?.median, b.epsilon?.median)}` : ''),
  'Clean top-1': (a, b) => rateDelta(a.clean.top1Accuracy, b.clean.top1Accuracy),
  'Clean top-5': (a, b) => rateDelta(a.clean.top5Accuracy, b.clean.top5Accuracy),
  'Attacked top-1': (a, b) => rateDelta(a.attacked.top1Accuracy, b.attacked.top1Accuracy),
  'Attacked top-5': (a, b) => rateDelta(a.attacked.top5Accuracy, b.attacked.top5Accuracy),
  'Success rate': (a, b) => rateDelta(a.successRate, b.successRate),
  'Median L2': (a, b) => valueDelta(a.norms.successful.l2.median, b.norms.successful.l2.median),
  'Median L∞': (a, b) => valueDelta(a.norms.successful.linf.median, b.norms.successful.linf.median),
};

/**
 * The attack table's rows in compare mode: each attack's row of A, its row of B, and their B − A row.
 * `rows` are the table's rows in the order of `entries`' runs (one per run); `columns` its column labels.
 */
export function comparedAttackRows(
  entries: SectionEntry<AttacksSection>[],
  ctx: RenderContext,
  columns: string[],
  rows: HTMLElement[],
): HTMLElement[] {
  const items = entries.flatMap(({ side, section }) => section.runs.map((run) => ({ side, run })));
  const withRows = items.map((item, i) => ({ ...item, row: rows[i] }));
  const a = withRows.filter((x) => x.side.key === 'a');
  const b = withRows.filter((x) => x.side.key === 'b');
  return pairBy(a, b, (x) => attackPairKey(x.run)).flatMap((p) => [
    ...(p.a ? [p.a.row] : []),
    ...(p.b ? [p.b.row] : []),
    ...(p.a && p.b ? [attackDeltaRow(ctx, columns, p.a.run, p.b.run)] : []),
  ]);
}

function attackDeltaRow(ctx: RenderContext, columns: string[], a: Run, b: Run): HTMLElement {
  const { h } = ctx;
  const attrs = { class: 'delta-row', 'data-delta': attackPairKey(a), title: 'B − A (percentage points for rates)' };
  const head = [h('td', { class: 'delta-label' }, 'B − A'), h('th', { scope: 'row', class: 'muted' }, `Δ ${a.label.split(' ')[0]}`)];
  const epsA = a.params.eps;
  const epsB = b.params.eps;
  if (
    (a.mode === 'fixed-eps' || a.mode === 'minimal-eps') &&
    typeof epsA === 'number' &&
    typeof epsB === 'number' &&
    Math.abs(epsA - epsB) > 1e-9
  ) {
    return h(
      'tr',
      attrs,
      ...head,
      h(
        'td',
        { colspan: columns.length - 1, class: 'delta-skipped' },
        `not compared: ε differs (A ${epsWords(epsA)}, B ${epsWords(epsB)})`,
      ),
    );
  }
  return h(
    'tr',
    attrs,
    ...head,
    ...columns.slice(1).map((label) => {
      const delta = Object.hasOwn(ATTACK_DELTAS, label) ? ATTACK_DELTAS[label] : null;
      return h('td', { class: delta ? 'num delta' : 'delta' }, delta ? delta(a, b) : '');
    }),
  );
}

type Acc = { top1: number | null; top5: number | null };
const accuracyDelta = (a: Acc, b: Acc) => `${rateDelta(a.top1, b.top1)} / ${rateDelta(a.top5, b.top5)}`;

/** Deltas of the defence table's columns, by column label (the rate column is found by its first words). */
function defenceDelta(label: string, a: DefenceRow, b: DefenceRow): string | null {
  if (label.startsWith('Defence rate'))
    return `${rateDelta(a.defenceRate, b.defenceRate)} / ${rateDelta(a.adaptive?.defenceRate, b.adaptive?.defenceRate)}`;
  switch (label) {
    case 'Original clean':
      return accuracyDelta(a.original.clean, b.original.clean);
    case 'Original attacked':
      return accuracyDelta(a.original.attacked, b.original.attacked);
    case 'Defended clean':
      return accuracyDelta(a.defended.clean, b.defended.clean);
    case 'Defended attacked':
      return accuracyDelta(a.defended.attacked, b.defended.attacked);
    default:
      return null;
  }
}

/**
 * The defence table's bodies in compare mode: for each defence, A's body, B's body, then a B − A body with
 * one row per attack both runs defended against. `bodies` are the table's bodies in the order of
 * `entries`' results (one per result); `columns` its column labels (without the Model column).
 */
export function comparedDefenceBodies(
  entries: SectionEntry<DefencesSection>[],
  ctx: RenderContext,
  columns: string[],
  bodies: HTMLElement[],
): HTMLElement[] {
  const items = entries.flatMap(({ side, section }) => section.results.map((result) => ({ side, result })));
  const withBodies = items.map((item, i) => ({ ...item, body: bodies[i] }));
  const a = withBodies.filter((x) => x.side.key === 'a');
  const b = withBodies.filter((x) => x.side.key === 'b');
  return pairBy(a, b, (x) => x.result.defence.kind).flatMap((p) => [
    ...(p.a ? [p.a.body] : []),
    ...(p.b ? [p.b.body] : []),
    ...(p.a && p.b ? [defenceDeltaBody(ctx, columns, p.a.result, p.b.result)] : []),
  ]);
}

function defenceDeltaBody(ctx: RenderContext, columns: string[], a: DefenceResult, b: DefenceResult): HTMLElement {
  const { h } = ctx;
  const rows = pairBy(a.rows, b.rows, (r) => defenceAttackKey(r.attack)).flatMap((p) => (p.a && p.b ? [[p.a, p.b] as const] : []));
  return h(
    'tbody',
    { class: 'delta-body', 'data-delta': a.defence.kind },
    h(
      'tr',
      { class: 'group-row' },
      h('th', { scope: 'rowgroup', colspan: columns.length + 1 }, `B − A: ${a.defence.kind}, each at its own parameters (above)`),
    ),
    ...rows.map(([ra, rb]) => {
      const attrs = { class: 'delta-row', 'data-delta': defenceAttackKey(ra.attack), title: 'B − A (percentage points)' };
      const head = [
        h('td', { class: 'delta-label' }, 'B − A'),
        h('th', { scope: 'row', class: 'muted' }, `Δ ${ra.attack.label.split(' ')[0]}`),
      ];
      if (ra.attack.label !== rb.attack.label)
        return h(
          'tr',
          attrs,
          ...head,
          h('td', { colspan: columns.length - 1, class: 'delta-skipped' }, `not compared: A ${ra.attack.label}, B ${rb.attack.label}`),
        );
      return h(
        'tr',
        attrs,
        ...head,
        ...columns.slice(1).map((label) => {
          const d = defenceDelta(label, ra, rb);
          return h('td', { class: d === null ? 'delta' : 'num delta' }, d ?? '');
        }),
      );
    }),
  );
}
