/**
 * DOM building without HTML strings: every text goes through `textContent` / attributes, so a model or class
 * name containing markup stays text. (Nothing in webview/ assigns innerHTML.)
 */
export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

export interface H {
  <K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K];
  (tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement;
  doc: Document;
}

/** Attributes: `true` sets an empty attribute, false/null/undefined leaves it out. */
export function setAttrs(node: Element, attrs: Attrs | null | undefined): void {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(node: Node, children: Child[]): void {
  const doc = node.ownerDocument ?? (node as Document);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === 'object' ? c : doc.createTextNode(String(c)));
  }
}

/** An element factory bound to one document (the webview's, or a jsdom one in tests). */
export function builder(doc: Document): H {
  const h = ((tag: string, attrs?: Attrs | null, ...children: Child[]) => {
    const node = doc.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }) as H;
  h.doc = doc;
  return h;
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

export function svgEl<K extends keyof SVGElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const node = doc.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}
