/**
 * The data behind a chart, as a visually hidden table for screen readers and as CSV for export. Both come
 * from the same rows, so what is read aloud is what is exported.
 */
import type { H } from '../dom';
import { sig } from '../format';

export type Cell = string | number | boolean | null;

export interface DataColumn {
  label: string;
  /** How the hidden table shows a value (CSV keeps full precision). */
  format?: (value: Cell) => string;
}

export interface ChartData {
  columns: DataColumn[];
  rows: Cell[][];
}

function show(value: Cell, column: DataColumn): string {
  if (column.format) return column.format(value);
  if (value === null) return '—';
  if (typeof value === 'number') return sig(value, 4);
  return String(value);
}

/** `table.chart-data`: the chart's numbers, one row per data point. */
export function dataTable(h: H, caption: string, data: ChartData): HTMLTableElement {
  return h(
    'table',
    { class: 'chart-data' },
    h('caption', null, caption),
    h('thead', null, h('tr', null, ...data.columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h(
      'tbody',
      null,
      ...data.rows.map((row) =>
        h(
          'tr',
          null,
          ...row.map((v, i) => {
            const cell = h(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : null, show(v, data.columns[i]));
            return cell;
          }),
        ),
      ),
    ),
  );
}

/**
 * RFC 4180 CSV. Text cells that a spreadsheet would run as a formula (=, +, -, @ first) get a leading
 * apostrophe: class names come from the user's dataset and are not trusted.
 */
export function toCsv(data: ChartData): string {
  const cell = (v: Cell): string => {
    if (v === null) return '';
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
    let text = String(v);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [data.columns.map((c) => cell(c.label)), ...data.rows.map((r) => r.map(cell))].map((r) => r.join(',')).join('\r\n') + '\r\n';
}
