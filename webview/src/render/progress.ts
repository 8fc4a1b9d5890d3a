/**
 * The running-job bar: stage, count, one ETA for the whole run (the host counts it down every second) and a
 * Cancel button (which posts {type: 'cancel'}); while no result has arrived yet, a line saying what comes
 * first; and the panel's status message (a failed run's error, what a cancel kept).
 */
import type { PanelState, ProgressMessage } from '../../../src/protocol/webviewMessages';
import type { H } from '../dom';
import { count, duration } from '../format';

export interface ProgressView {
  progress: ProgressMessage | null;
  state: PanelState;
  message: string | null;
  cancelRequested: boolean;
  /** Sections the panel shows so far (streamed as each stage finishes). */
  sections: number;
}

/** The ETA part of the progress line: the whole run's time left, as the host estimates it. */
export function etaText(etaSeconds: number | null): string {
  if (etaSeconds === null) return 'ETA estimating…';
  // Past its estimate, a run is not "0 s" from done: it is finishing.
  return etaSeconds < 1 ? 'ETA finishing…' : `ETA ${duration(etaSeconds)} (whole run)`;
}

function progressText(p: ProgressMessage | null): string {
  return p
    ? `${p.stage}: ${count(p.done)} of ${count(p.total)}${p.total > 0 ? ` (${Math.floor((100 * Math.min(p.done, p.total)) / p.total)}%)` : ''} · ${etaText(p.etaSeconds)}`
    : 'Starting…';
}

/** What decides the region's elements (not its numbers): the same shape is updated in place. */
function shapeOf(view: ProgressView): string {
  return JSON.stringify([view.state, view.cancelRequested, view.sections === 0, view.message]);
}

/**
 * The progress region, updated in place when only the numbers changed: the host ticks the ETA every second,
 * and a Cancel button rebuilt every second would lose the keyboard focus and a click in flight.
 */
export function updateProgress(h: H, current: HTMLElement | null, view: ProgressView, onCancel: () => void): HTMLElement {
  if (current && current.dataset.shape === shapeOf(view)) {
    const bar = current.querySelector('progress');
    const text = current.querySelector('.progress-text');
    if (bar && text) {
      const p = view.progress;
      const total = p && p.total > 0 ? p.total : null;
      if (total === null) bar.removeAttribute('max');
      else bar.setAttribute('max', String(total));
      if (total === null) bar.removeAttribute('value');
      else bar.setAttribute('value', String(Math.min(p!.done, total)));
      text.textContent = progressText(p);
      return current;
    }
  }
  return renderProgress(h, view, onCancel);
}

export function renderProgress(h: H, view: ProgressView, onCancel: () => void): HTMLElement {
  const region = h('div', { class: 'progress-region', 'data-shape': shapeOf(view) });
  if (view.state === 'running') {
    const p = view.progress;
    const bar = h('progress', {
      'aria-label': 'Run progress',
      max: p && p.total > 0 ? p.total : null,
      value: p && p.total > 0 ? Math.min(p.done, p.total) : null,
    });
    const text = progressText(p);
    const cancel = h(
      'vscode-button',
      { 'data-testid': 'cancel', secondary: true, disabled: view.cancelRequested, 'aria-disabled': view.cancelRequested ? 'true' : null },
      view.cancelRequested ? 'Cancelling…' : 'Cancel',
    );
    cancel.addEventListener('click', () => {
      if (!view.cancelRequested) onCancel();
    });
    region.append(
      h('div', { class: 'progress', role: 'status', 'data-testid': 'progress' }, bar, h('span', { class: 'progress-text' }, text)),
      cancel,
    );
    if (view.sections === 0) {
      region.appendChild(
        h(
          'p',
          { class: 'muted progress-waiting', 'data-testid': 'progress-waiting' },
          'Waiting for the first results: clean accuracy comes first, then each analysis as its stage finishes.',
        ),
      );
    }
  }
  if (view.message) {
    region.appendChild(
      h('p', { class: `status-message status-${view.state}`, role: view.state === 'failed' ? 'alert' : 'status' }, view.message),
    );
  }
  return region;
}
