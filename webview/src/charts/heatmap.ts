/**
 * Heatmap of an h × w map on a <canvas> (RCT maps, spectra): one cell per value, coloured by a viridis
 * scale, drawn at an integer zoom so cells stay square, with frequency axes (left and below, ticks in the
 * full map's indices: heatmapAxes.ts) and a colour bar on its right. Hover or arrow keys read a cell (a
 * crosshair marks it). Axes and colour bar are separate SVGs laid out around the canvas by a grid
 * (`.heatmap-frame`), in the order y axis, canvas, colour bar, x axis.
 */
import { rgb } from 'd3-color';
import type { Map2D } from '../../../src/engine/report/sections';
import { binningOf } from '../../../src/protocol/reportMaps';
import { svgEl } from '../dom';
import { sig } from '../format';
import { colourScale, type ColourScale, type ScaleKind } from './colourScale';
import { attachKeyboardNav } from './keyboardNav';
import { colourLegend } from './legend';
import { X_AXIS_HEIGHT, Y_AXIS_WIDTH, frequencyAxis, frequencySpan, type FrequencyLayout } from './heatmapAxes';

export interface HeatmapSpec {
  id: string;
  title: string;
  map: Map2D;
  scale: ScaleKind;
  /** The quantity shown, with its unit: the colour bar's title. */
  valueLabel: string;
  /** Axis titles: what the rows and the columns are. */
  rowLabel: string;
  colLabel: string;
  /** How positions map to frequencies: DCT (DC top left) or centred DFT (DC in the middle). */
  layout: FrequencyLayout;
  /** Centred layout sampling every step-th frequency: position p holds (p − ⌊n/2⌋)·step (default 1). */
  frequencyStep?: number;
  testId?: string;
  legendTestId?: string;
  /** A linear scale's top at least this (maps drawn side by side share one colour scale). */
  sharedMax?: number;
  announce?: (text: string) => void;
}

export interface Heatmap {
  /** The grid holding the axes, the canvas and the colour bar. */
  frame: HTMLDivElement;
  canvas: HTMLCanvasElement;
  legend: SVGSVGElement;
  axes: { x: SVGSVGElement; y: SVGSVGElement };
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
  const scale = colourScale(spec.sharedMax === undefined ? map.values : [...map.values, spec.sharedMax], spec.scale);
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
    `${spec.title}. Heatmap, ${map.height} rows (${spec.rowLabel}) by ${map.width} columns (${spec.colLabel})${map.binned ? `, each cell the mean of a ${map.binned.block}×${map.binned.block} block of the ${map.binned.height}×${map.binned.width} map` : ''}, ${spec.layout === 'dct' ? 'DC at the top left' : 'DC at the centre'}, ${spec.valueLabel} from ${sig(scale.domain[0], 3)} to ${sig(scale.domain[1], 3)}. Arrow keys read the cells.`,
  );
  if (spec.testId) canvas.dataset.testid = spec.testId;
  const legend = colourLegend(doc, { id: spec.id, title: spec.valueLabel, scale, testId: spec.legendTestId, length: canvas.height });
  const bin = binningOf(map);
  const step = spec.frequencyStep ?? 1;
  const axes = {
    y: frequencyAxis(doc, 'left', {
      layout: spec.layout,
      label: spec.rowLabel,
      full: bin.height,
      block: bin.block,
      zoom,
      cells: map.height,
      step,
    }),
    x: frequencyAxis(doc, 'bottom', {
      layout: spec.layout,
      label: spec.colLabel,
      full: bin.width,
      block: bin.block,
      zoom,
      cells: map.width,
      step,
    }),
  };
  const frame = doc.createElement('div');
  frame.className = 'heatmap-frame';
  frame.append(axes.y, canvas, legend, axes.x);

  paint(canvas, map, scale, zoom, null);
  // A binned map's cell covers a block of the full map: read it as that range of rows and columns.
  const read = (r: number, c: number) =>
    `${spec.rowLabel} ${frequencySpan(spec.layout, r, bin.block, bin.height, step)}, ${spec.colLabel} ${frequencySpan(spec.layout, c, bin.block, bin.width, step)}: ` +
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
    frame,
    canvas,
    legend,
    axes,
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
 * A standalone SVG of the heatmap for export: title, the map as an embedded PNG (from `pngDataUrl`) with
 * its axes and colour bar (already styled clones) where the panel shows them. Returns the SVG and its size.
 */
export function heatmapSvg(
  doc: Document,
  hm: Heatmap,
  title: string,
  pngDataUrl: string,
  parts: { legend: SVGSVGElement; x: SVGSVGElement; y: SVGSVGElement },
  textColour: string,
): { svg: SVGSVGElement; width: number; height: number } {
  const imgW = hm.canvas.width,
    imgH = hm.canvas.height;
  const top = 28,
    gap = 8;
  const legendW = Number(hm.legend.getAttribute('width'));
  const width = Y_AXIS_WIDTH + imgW + gap + legendW + 8;
  const height = top + imgH + X_AXIS_HEIGHT + 8;
  const svg = svgEl(doc, 'svg', { viewBox: `0 0 ${width} ${height}` });
  svg.appendChild(svgEl(doc, 'text', { fill: textColour || null, 'font-family': 'sans-serif', 'font-size': 13, x: 8, y: 16 }, title));
  svg.appendChild(svgEl(doc, 'image', { x: Y_AXIS_WIDTH, y: top, width: imgW, height: imgH, href: pngDataUrl }));
  const place = (el: SVGSVGElement, x: number, y: number) => {
    el.setAttribute('x', String(x));
    el.setAttribute('y', String(y));
    svg.appendChild(el);
  };
  place(parts.y, 0, top);
  place(parts.x, Y_AXIS_WIDTH, top + imgH);
  place(parts.legend, Y_AXIS_WIDTH + imgW + gap, top);
  return { svg, width, height };
}
