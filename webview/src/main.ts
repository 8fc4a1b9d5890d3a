/**
 * Entry point of the panel's webview bundle: registers the VS Code web components, wires the message channel
 * to the app and tells the host it is ready (the host then sends `init`; after a window reload the host's
 * serializer finds the run again from the `{runId}` kept with `setState`).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import './styles.css';
import type { WebviewToHost } from '../../src/protocol/webviewMessages';
import { PanelApp } from './app';
import { browserRasterizer } from './charts/exportChart';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function start(): void {
  const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('main'));
  root.id = 'app';
  const app = new PanelApp(root, {
    post: (m) => vscode.postMessage(m),
    rasterizer: browserRasterizer(document),
    persist: (state) => vscode.setState(state),
  });
  window.addEventListener('message', (event: MessageEvent) => app.handle(event.data));
  vscode.postMessage({ type: 'ready' });
}

// The host loads the script at the end of <body>, but a <head> script must not find the body missing.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
