/**
 * `figure.chart`: a chart with its caption, export buttons (SVG, PNG, CSV → ExportMessage to the host,
 * which owns the save dialog) and the hidden data table. SVG exports are standalone: theme colours that
 * CSS gives the chart in the panel are written into the copy as presentation attributes, over the panel's
 * background colour, so the file looks as it did on screen.
 */
import type { ExportMessage } from '../../../src/protocol/webviewMessages';
import type { Child, H } from '../dom';
import { svgEl } from '../dom';
import { fileStem } from '../format';
import { dataTable, toCsv, type ChartData } from './dataTable';

export interface Rasterizer {
  /** An SVG document → PNG data URL (scaled by `scale` for crisp output). */
  svgToPng(svgText: string, width: number, height: number, scale: number): Promise<string>;
  canvasToPng(canvas: HTMLCanvasElement): string;
}

export interface ExportTarget {
  /** Start of every suggested file name (the run id). */
  fileStem: string;
  post(message: ExportMessage): void;
  rasterizer: Rasterizer;
  /** Export failures (e.g. a blocked image) are shown, not thrown into the void. */
  onError(text: string): void;
}

export interface SvgDocument {
  text: string;
  width: number;
  height: number;
}

export interface FigureSpec {
  id: string;
  title: string;
  caption: Child[];
  /** The chart itself (SVG, canvas + legend…). */
  body: Node[];
  data: ChartData;
  /** CSV when it should hold more than the table (e.g. a heatmap's full-resolution values). */
  csv?: () => string;
  /** The chart as a standalone SVG document. */
  svg: () => SvgDocument | Promise<SvgDocument>;
  extraClass?: string;
}

export interface Figure {
  figure: HTMLElement;
  /** Text for the figure's live region (the value under the keyboard / pointer focus). */
  announce(text: string): void;
}

const PNG_SCALE = 2;
const TITLE_HEIGHT = 24;
const STYLE_PROPERTIES = [
  'fill',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'opacity',
  'fill-opacity',
  'stroke-opacity',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
];

export function chartFigure(h: H, target: ExportTarget, spec: FigureSpec): Figure {
  const readout = h('p', { class: 'chart-readout', 'aria-live': 'polite' });
  const captionId = `${spec.id}-caption`;
  const figure = h(
    'figure',
    { class: `chart${spec.extraClass ? ` ${spec.extraClass}` : ''}`, id: spec.id, 'aria-labelledby': captionId },
    h('figcaption', { id: captionId }, h('span', { class: 'chart-title' }, spec.title), ' ', ...spec.caption),
    h('div', { class: 'chart-body' }, ...spec.body),
    readout,
    exportButtons(h, spec.title, (format) => {
      void exportAs(target, spec, format);
    }),
    // A block wrapper hides the table: a table ignores width and overflow, and its full width widened the page.
    h('div', { class: 'chart-data-wrap' }, dataTable(h, `Data of: ${spec.title}`, spec.data)),
  );
  return {
    figure,
    announce: (text) => {
      readout.textContent = text;
    },
  };
}

function exportButtons(h: H, title: string, run: (format: ExportMessage['format']) => void): HTMLElement {
  const group = h('div', { class: 'chart-export', role: 'group', 'aria-label': `Export ${title}` });
  for (const [format, label] of [
    ['svg', 'SVG'],
    ['png', 'PNG'],
    ['csv', 'CSV'],
  ] as const) {
    const button = h(
      'vscode-button',
      { secondary: true, 'data-export': format, 'aria-label': `Export ${title} as ${label}`, title: `Save as ${label}` },
      label,
    );
    button.addEventListener('click', () => run(format));
    group.appendChild(button);
  }
  return group;
}

async function exportAs(target: ExportTarget, spec: FigureSpec, format: ExportMessage['format']): Promise<void> {
  try {
    let data: string;
    if (format === 'csv') data = spec.csv ? spec.csv() : toCsv(spec.data);
    else {
      const svg = await spec.svg();
      data = format === 'svg' ? svg.text : await target.rasterizer.svgToPng(svg.text, svg.width, svg.height, PNG_SCALE);
    }
    target.post({
      type: 'export',
      chartId: spec.id,
      format,
      suggestedName: `${fileStem(target.fileStem)}-${fileStem(spec.id)}.${format}`,
      data,
    });
  } catch (e) {
    target.onError(`Export of "${spec.title}" as ${format.toUpperCase()} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * A standalone copy of an on-screen SVG: focus overlays dropped, computed theme colours and fonts written as
 * attributes, the panel background behind it and the chart's title above it (the caption is not in the SVG).
 */
export function standaloneSvg(svg: SVGSVGElement, title: string): SvgDocument {
  const doc = svg.ownerDocument;
  const [, , width, height] = (svg.getAttribute('viewBox') ?? '0 0 300 150').split(/\s+/).map(Number);
  const clone = styledClone(svg);
  const body = svgEl(doc, 'g', { transform: `translate(0,${TITLE_HEIGHT})` });
  body.append(...Array.from(clone.childNodes));
  clone.append(
    svgEl(
      doc,
      'text',
      { x: 8, y: 16, fill: themeColours(doc, svg).foreground || null, 'font-family': 'sans-serif', 'font-size': 13, 'font-weight': 600 },
      title,
    ),
    body,
  );
  clone.setAttribute('viewBox', `0 0 ${width} ${height + TITLE_HEIGHT}`);
  return finishSvg(clone, width, height + TITLE_HEIGHT);
}

/** A deep copy with computed styles inlined and panel-only attributes (focus, ids, classes) removed. */
export function styledClone(svg: SVGSVGElement): SVGSVGElement {
  const view = svg.ownerDocument.defaultView;
  const clone = svg.cloneNode(true) as SVGSVGElement;
  if (view) inlineStyles(svg, clone, view);
  for (const n of Array.from(clone.querySelectorAll('.no-export'))) n.remove();
  for (const a of ['tabindex', 'role', 'aria-label', 'id', 'data-testid']) clone.removeAttribute(a);
  return clone;
}

/** Sizes the SVG, puts the panel's background colour behind it and serialises it. */
export function finishSvg(svg: SVGSVGElement, width: number, height: number): SvgDocument {
  const doc = svg.ownerDocument;
  svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  const background = themeColours(doc).background;
  if (background) svg.insertBefore(svgEl(doc, 'rect', { width: '100%', height: '100%', fill: background }), svg.firstChild);
  return { text: serialize(svg), width, height };
}

/** The panel's text and background colours as computed (empty where unknown, e.g. a transparent body). */
export function themeColours(doc: Document, el: Element = doc.body): { foreground: string; background: string } {
  const view = doc.defaultView;
  if (!view || !el) return { foreground: '', background: '' };
  const background = view.getComputedStyle(doc.body).backgroundColor;
  return {
    foreground: view.getComputedStyle(el).color,
    background: background && background !== 'rgba(0, 0, 0, 0)' && background !== 'transparent' ? background : '',
  };
}

export function serialize(node: Node): string {
  const view = node.ownerDocument?.defaultView;
  const Serializer = (view as (Window & typeof globalThis) | null)?.XMLSerializer ?? XMLSerializer;
  return new Serializer().serializeToString(node);
}

/**
 * `color(srgb r g b / a)` (how the browser computes a color-mix(), e.g. the light themes' series colours)
 * as `rgb()` / `rgba()`, which every SVG viewer reads; other values unchanged.
 */
export function legacyColour(value: string): string {
  const m = /^color\(srgb\s+([\d.e+-]+)\s+([\d.e+-]+)\s+([\d.e+-]+)(?:\s*\/\s*([\d.e+-]+%?))?\s*\)$/i.exec(value.trim());
  if (!m) return value;
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => Math.round(Math.min(1, Math.max(0, Number(v))) * 255));
  if (m[4] === undefined) return `rgb(${r}, ${g}, ${b})`;
  const a = m[4].endsWith('%') ? Number(m[4].slice(0, -1)) / 100 : Number(m[4]);
  return a >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${Math.round(a * 1000) / 1000})`;
}

/** Copies computed presentation styles onto the clone, element by element (same tree shape). */
function inlineStyles(source: Element, clone: Element, view: Window): void {
  const style = view.getComputedStyle(source);
  for (const prop of STYLE_PROPERTIES) {
    const value = style.getPropertyValue(prop);
    if (value) clone.setAttribute(prop, legacyColour(value));
  }
  const colour = legacyColour(style.getPropertyValue('color'));
  if (colour) {
    // currentColor only means something inside the panel: resolve it.
    for (const attr of ['fill', 'stroke'])
      if (clone.getAttribute(attr) === 'currentColor' || clone.getAttribute(attr) === 'currentcolor') clone.setAttribute(attr, colour);
  }
  const a = source.children,
    b = clone.children;
  for (let i = 0; i < a.length && i < b.length; i++) inlineStyles(a[i], b[i], view);
}

/** Rasterising in the webview: the SVG as an <img>, drawn on a canvas. */
export function browserRasterizer(doc: Document): Rasterizer {
  return {
    svgToPng(svgText, width, height, scale) {
      return new Promise((resolve, reject) => {
        const img = new Image();
        img.onload = () => {
          const canvas = doc.createElement('canvas');
          canvas.width = Math.round(width * scale);
          canvas.height = Math.round(height * scale);
          const ctx = canvas.getContext('2d');
          if (!ctx) return reject(new Error('no 2-D canvas context'));
          ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL('image/png'));
        };
        img.onerror = () =>
          reject(new Error("the SVG could not be loaded as an image (check the panel's img-src policy allows data: URLs)"));
        img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
      });
    },
    canvasToPng: (canvas) => canvas.toDataURL('image/png'),
  };
}
