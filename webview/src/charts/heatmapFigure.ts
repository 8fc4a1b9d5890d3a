/**
 * A heatmap in its `figure.chart`: axes, canvas and colour bar in one frame, exports (SVG embeds the map as
 * PNG; CSV holds every cell as row, column, value, rows and columns as frequencies) and a hidden table —
 * block-averaged down to at most 32 × 32 cells, since a 224 × 224 table read aloud helps nobody.
 */
import type { Map2D } from '../../../src/engine/report/sections';
import { binForReport, binningOf } from '../../../src/protocol/reportMaps';
import type { Child, H } from '../dom';
import { toCsv, type Cell, type ChartData } from './dataTable';
import { chartFigure, finishSvg, styledClone, themeColours, type ExportTarget, type Figure } from './exportChart';
import { heatmap, heatmapSvg, type Heatmap, type HeatmapSpec } from './heatmap';
import { frequencyAt, frequencySpan, type FrequencyLayout } from './heatmapAxes';

export const MAX_TABLE_SIDE = 32;

export interface HeatmapFigure extends Figure {
  heatmap: Heatmap;
}

export function heatmapFigure(h: H, target: ExportTarget, spec: Omit<HeatmapSpec, 'announce'> & { caption: Child[] }): HeatmapFigure {
  let fig: Figure | null = null;
  const hm = heatmap(h.doc, { ...spec, announce: (t) => fig?.announce(t) });
  const { map } = spec;
  const step = spec.frequencyStep ?? 1;
  const table = blockTable(map, spec.rowLabel, spec.colLabel, spec.layout, step);
  fig = chartFigure(h, target, {
    id: spec.id,
    title: spec.title,
    caption: [...spec.caption, table.note ? ` ${table.note}` : ''],
    body: [hm.frame],
    data: table.data,
    csv: () => mapCsv(map, spec.rowLabel, spec.colLabel, spec.valueLabel, spec.layout, step),
    extraClass: 'heatmap-chart',
    svg: () => {
      const png = target.rasterizer.canvasToPng(hm.exportCanvas());
      const { svg, width, height } = heatmapSvg(
        h.doc,
        hm,
        spec.title,
        png,
        { legend: styledClone(hm.legend), x: styledClone(hm.axes.x), y: styledClone(hm.axes.y) },
        themeColours(h.doc, hm.frame).foreground,
      );
      return finishSvg(svg, width, height);
    },
  });
  return { ...fig, heatmap: hm };
}

/** The map as a table of at most MAX_TABLE_SIDE² cells, averaging square blocks when it is larger. */
export function blockTable(
  map: Map2D,
  rowLabel: string,
  colLabel: string,
  layout: FrequencyLayout = 'dct',
  step = 1,
): { data: ChartData; note: string } {
  const table = binForReport(map, MAX_TABLE_SIDE);
  const block = table === map ? 1 : table.binned!.block;
  // labels in the full map's rows and columns, through both the report's binning and the table's
  const full = binningOf(map);
  const total = full.block * block;
  const data: ChartData = {
    columns: [
      { label: `${rowLabel} \\ ${colLabel}` },
      ...Array.from({ length: table.width }, (_, c) => ({ label: frequencySpan(layout, c, total, full.width, step) })),
    ],
    rows: Array.from({ length: table.height }, (_, r) => [
      frequencySpan(layout, r, total, full.height, step),
      ...table.values.slice(r * table.width, (r + 1) * table.width),
    ]),
  };
  return { data, note: block > 1 ? `(Data table: means of ${block}×${block} blocks; CSV export has every cell.)` : '' };
}

function mapCsv(map: Map2D, rowLabel: string, colLabel: string, valueLabel: string, layout: FrequencyLayout, step: number): string {
  const { block, height, width } = binningOf(map);
  const rows: Cell[][] = [];
  for (let r = 0; r < map.height; r++) {
    for (let c = 0; c < map.width; c++)
      rows.push([
        block > 1 ? frequencySpan(layout, r, block, height, step) : frequencyAt(layout, r, height, step),
        block > 1 ? frequencySpan(layout, c, block, width, step) : frequencyAt(layout, c, width, step),
        map.values[r * map.width + c],
      ]);
  }
  return toCsv({ columns: [{ label: rowLabel }, { label: colLabel }, { label: valueLabel }], rows });
}
