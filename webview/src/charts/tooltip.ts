/**
 * The hover/keyboard readout drawn inside a chart's SVG: a small box of text lines next to the focused
 * point. Marked `no-export` so exports show the chart, not the cursor.
 */
import { svgEl } from '../dom';

const LINE_HEIGHT = 15;
const CHAR_WIDTH = 6.6;

export interface Tooltip {
  show(x: number, y: number, lines: string[]): void;
  hide(): void;
}

/** `bounds` is the plot area the box must stay inside. */
export function createTooltip(parent: SVGGElement, bounds: { width: number; height: number }): Tooltip {
  const doc = parent.ownerDocument;
  const g = svgEl(doc, 'g', { class: 'tooltip no-export', visibility: 'hidden', 'aria-hidden': 'true' });
  const box = svgEl(doc, 'rect', { class: 'tooltip-box', rx: 3 });
  g.appendChild(box);
  parent.appendChild(g);
  return {
    show(x, y, lines) {
      while (g.childNodes.length > 1) g.removeChild(g.lastChild!);
      const width = Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR_WIDTH) + 12;
      const height = lines.length * LINE_HEIGHT + 8;
      // Right of the point unless it would leave the plot; above it unless it would leave the top.
      const left = x + 10 + width > bounds.width ? x - 10 - width : x + 10;
      const top = Math.min(Math.max(0, y - height - 6), bounds.height - height);
      g.setAttribute('transform', `translate(${Math.round(left)},${Math.round(top)})`);
      box.setAttribute('width', String(width));
      box.setAttribute('height', String(height));
      lines.forEach((line, i) =>
        g.appendChild(
          svgEl(doc, 'text', { class: i === 0 ? 'tooltip-title' : 'tooltip-line', x: 6, y: 4 + (i + 1) * LINE_HEIGHT - 3 }, line),
        ),
      );
      g.setAttribute('visibility', 'visible');
    },
    hide() {
      g.setAttribute('visibility', 'hidden');
    },
  };
}
