/**
 * Heatmap of an h × w map on a <canvas> (RCT maps, spectra): one cell per value, coloured by a viridis
 * scale, drawn at an integer zoom so cells stay square. Hover or arrow keys read a cell (a crosshair marks
 * it); the legend is a separate SVG so the page can place it right after the canvas.
 */
import { rgb } from 'd3-color';
import type { Map2D } from '../../../src/engine/report/sections';
import { binningOf, spanLabel } from '../../../src/protocol/reportMaps';
import { svgEl } from '../dom';
import { sig } from '../format';
import { colourScale, type ColourScale, type ScaleKind } from './colourScale';
import { attachKeyboardNav } from './keyboardNav';
import { colourLegend } from './legend';

export interface HeatmapSpec {
  id: string;
  title: string;
  map: Map2D;
  scale: ScaleKind;
  valueLabel: string;
  rowLabel: string;
  colLabel: string;
  testId?: string;
  legendTestId?: string;
  announce?: (text: string) => void;
}

export interface Heatmap {
  canvas: HTMLCanvasElement;
  legend: SVGSVGElement;
  scale: ColourScale;
  /** Canvas pixels per cell. */
  zoom: number;
  /** A fresh canvas with the map alone (no crosshair), for export. */
  exportCanvas(): HTMLCanvasElement;
  /** Shows one cell's value, as hovering or the arrow keys do. */
  focus(row: number, col: number): void;
}

/** Target drawn size: small maps are zoomed up to about this many canvas pixels per side. */
const TARGET_SIDE = 256;

export function checkMap(map: Map2D, what: string): void {
  const { height, width, values } = map;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`${what}: map size ${height}×${width}: expected positive integers`);
  }
  // The app unpacks the host's Float64Arrays on receipt (src/protocol/packedArrays.ts); a typed array still draws.
  const list = Array.isArray(values) || (values as unknown) instanceof Float64Array;
  if (!list || values.length !== height * width) {
    throw new RangeError(`${what}: ${list ? values.length : 'no'} values for a ${height}×${width} map (expected ${height * width})`);
  }
}

export function heatmap(doc: Document, spec: HeatmapSpec): Heatmap {
  const { map } = spec;
  checkMap(map, spec.title);
  const scale = colourScale(map.values, spec.scale);
  const zoom = Math.max(1, Math.floor(TARGET_SIDE / Math.max(map.height, map.width)));
  const canvas = doc.createElement('canvas');
  canvas.width = map.width * zoom;
  canvas.height = map.height * zoom;
  canvas.className = 'heatmap';
  canvas.tabIndex = 0;
  canvas.id = `${spec.id}-canvas`;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute(
    'aria-label',
    `${spec.title}. Heatmap, ${map.height} rows (${spec.rowLabel}) by ${map.width} columns (${spec.colLabel})${map.binned ? `, each cell the mean of a ${map.binned.block}×${map.binned.block} block of the ${map.binned.height}×${map.binned.width} map` : ''}, ${spec.valueLabel} from ${sig(scale.domain[0], 3)} to ${sig(scale.domain[1], 3)}. Arrow keys read the cells.`,
  );
  if (spec.testId) canvas.dataset.testid = spec.testId;
  const legend = colourLegend(doc, { id: spec.id, title: spec.valueLabel, scale, testId: spec.legendTestId });

  paint(canvas, map, scale, zoom, null);
  // A binned map's cell covers a block of the full map: read it as that range of rows and columns.
  const bin = binningOf(map);
  const read = (r: number, c: number) =>
    `${spec.rowLabel} ${spanLabel(r, bin.block, bin.height)}, ${spec.colLabel} ${spanLabel(c, bin.block, bin.width)}: ` +
    `${spec.valueLabel}${bin.block > 1 ? ' (block mean)' : ''} ${sig(map.values[r * map.width + c], 4)}`;
  const present = Array.from({ length: map.height }, () => new Array<boolean>(map.width).fill(true));
  const nav = attachKeyboardNav(canvas, {
    present,
    nearest: (_from, index) => index,
    show: (r, c) => {
      paint(canvas, map, scale, zoom, { r, c });
      canvas.title = read(r, c);
      spec.announce?.(read(r, c));
    },
    hide: () => paint(canvas, map, scale, zoom, null),
  });
  canvas.addEventListener('pointermove', (event) => {
    const e = event;
    const rect = canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    const c = Math.floor(((e.clientX - rect.left) / rect.width) * map.width);
    const r = Math.floor(((e.clientY - rect.top) / rect.height) * map.height);
    if (r >= 0 && r < map.height && c >= 0 && c < map.width) nav.set({ series: r, index: c });
  });
  canvas.addEventListener('pointerleave', () => paint(canvas, map, scale, zoom, null));
  return {
    canvas,
    legend,
    scale,
    zoom,
    exportCanvas() {
      const out = doc.createElement('canvas');
      out.width = canvas.width;
      out.height = canvas.height;
      paint(out, map, scale, zoom, null);
      return out;
    },
    focus: (r, c) => nav.set({ series: r, index: c }),
  };
}

/** Draws the map (and a crosshair on one cell); a no-op where canvas is unavailable (unit tests). */
function paint(canvas: HTMLCanvasElement, map: Map2D, scale: ColourScale, zoom: number, cursor: { r: number; c: number } | null): void {
  let ctx: CanvasRenderingContext2D | null = null;
  try {
    ctx = canvas.getContext('2d');
  } catch {
    ctx = null;
  }
  if (!ctx) return;
  const image = ctx.createImageData(canvas.width, canvas.height);
  for (let r = 0; r < map.height; r++) {
    for (let c = 0; c < map.width; c++) {
      const { r: red, g, b } = rgb(scale.colour(map.values[r * map.width + c]));
      for (let dy = 0; dy < zoom; dy++) {
        for (let dx = 0; dx < zoom; dx++) {
          const o = ((r * zoom + dy) * canvas.width + c * zoom + dx) * 4;
          image.data[o] = red;
          image.data[o + 1] = g;
          image.data[o + 2] = b;
          image.data[o + 3] = 255;
        }
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  if (!cursor) return;
  // Black-and-white crosshair through the cell: visible on every viridis colour.
  const cx = (cursor.c + 0.5) * zoom,
    cy = (cursor.r + 0.5) * zoom;
  for (const [colour, width] of [
    ['#000', 3],
    ['#fff', 1],
  ] as const) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.strokeRect(cursor.c * zoom - 1, cursor.r * zoom - 1, zoom + 2, zoom + 2);
    ctx.beginPath();
    ctx.moveTo(0, cy);
    ctx.lineTo(cursor.c * zoom - 2, cy);
    ctx.moveTo((cursor.c + 1) * zoom + 2, cy);
    ctx.lineTo(canvas.width, cy);
    ctx.moveTo(cx, 0);
    ctx.lineTo(cx, cursor.r * zoom - 2);
    ctx.moveTo(cx, (cursor.r + 1) * zoom + 2);
    ctx.lineTo(cx, canvas.height);
    ctx.stroke();
  }
}

/**
 * A standalone SVG of the heatmap for export: title, the map as an embedded PNG (from `pngDataUrl`), axis
 * labels and the (already styled) legend. Returns the SVG and its size.
 */
export function heatmapSvg(
  doc: Document,
  hm: Heatmap,
  spec: Pick<HeatmapSpec, 'title' | 'rowLabel' | 'colLabel'>,
  pngDataUrl: string,
  legend: SVGSVGElement,
  textColour: string,
): { svg: SVGSVGElement; width: number; height: number } {
  const imgW = hm.canvas.width,
    imgH = hm.canvas.height;
  const legendBox = (hm.legend.getAttribute('viewBox') ?? '0 0 280 52').split(' ').map(Number);
  const width = Math.max(imgW + 40, legendBox[2] + 16);
  const height = 24 + imgH + 24 + legendBox[3];
  const text = { fill: textColour || null, 'font-family': 'sans-serif', 'font-size': 11 };
  const svg = svgEl(doc, 'svg', { viewBox: `0 0 ${width} ${height}` });
  svg.appendChild(svgEl(doc, 'text', { ...text, 'font-size': 13, x: 20, y: 16 }, spec.title));
  svg.appendChild(svgEl(doc, 'image', { x: 20, y: 24, width: imgW, height: imgH, href: pngDataUrl }));
  svg.appendChild(svgEl(doc, 'text', { ...text, x: 20 + imgW / 2, y: 24 + imgH + 16, 'text-anchor': 'middle' }, `${spec.colLabel} →`));
  svg.appendChild(
    svgEl(doc, 'text', { ...text, transform: `translate(14,${24 + imgH / 2}) rotate(-90)`, 'text-anchor': 'middle' }, `← ${spec.rowLabel}`),
  );
  legend.setAttribute('x', '8');
  legend.setAttribute('y', String(24 + imgH + 24));
  legend.setAttribute('width', String(legendBox[2]));
  legend.setAttribute('height', String(legendBox[3]));
  svg.appendChild(legend);
  return { svg, width, height };
}
