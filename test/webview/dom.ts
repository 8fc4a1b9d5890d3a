/** A jsdom window for the webview tests (canvas is not implemented in jsdom: its notices are dropped). */
import { JSDOM, VirtualConsole } from 'jsdom';

export function createDom(): JSDOM {
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (e) => {
    if (!/Not implemented: HTMLCanvasElement/.test(e.message)) console.error(e);
  });
  return new JSDOM('<!doctype html><html><body><main id="app"></main></body></html>', { virtualConsole, pretendToBeVisual: true });
}

export function key(el: Element, key: string): void {
  const view = el.ownerDocument.defaultView!;
  el.dispatchEvent(new view.KeyboardEvent('keydown', { key, bubbles: true }));
}

export function click(el: Element): void {
  const view = el.ownerDocument.defaultView!;
  el.dispatchEvent(new view.MouseEvent('click', { bubbles: true }));
}
