/**
 * The running-job bar: stage, count, ETA and a Cancel button (which posts {type: 'cancel'}), and the
 * panel's status message (a failed run's error, what a cancel kept).
 */
import type { PanelState, ProgressMessage } from '../../../src/protocol/webviewMessages';
import type { H } from '../dom';
import { count, duration } from '../format';

export interface ProgressView {
  progress: ProgressMessage | null;
  state: PanelState;
  message: string | null;
  cancelRequested: boolean;
}

export function renderProgress(h: H, view: ProgressView, onCancel: () => void): HTMLElement {
  const region = h('div', { class: 'progress-region' });
  if (view.state === 'running') {
    const p = view.progress;
    const bar = h('progress', {
      'aria-label': 'Run progress',
      max: p && p.total > 0 ? p.total : null,
      value: p && p.total > 0 ? Math.min(p.done, p.total) : null,
    });
    const text = p
      ? `${p.stage}: ${count(p.done)} of ${count(p.total)}${p.total > 0 ? ` (${Math.floor((100 * Math.min(p.done, p.total)) / p.total)}%)` : ''} · ETA ${p.etaSeconds === null ? 'estimating…' : duration(p.etaSeconds)}`
      : 'Starting…';
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
  }
  if (view.message) {
    region.appendChild(
      h('p', { class: `status-message status-${view.state}`, role: view.state === 'failed' ? 'alert' : 'status' }, view.message),
    );
  }
  return region;
}
