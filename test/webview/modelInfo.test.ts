import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { PanelApp } from '../../webview/src/app';
import type { Rasterizer } from '../../webview/src/charts/exportChart';
import { runInfoJob } from '../../src/engine/jobs/infoJob';
import { REPO_ROOT } from '../helpers/shared';
import { initMessage } from './fixtures';
import { createDom } from './dom';

const noRaster: Rasterizer = { svgToPng: async () => '', canvasToPng: () => '' };
const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

test('a report with a model-info section renders it: signature, detected input, scores and diagnostics', async () => {
  const report = await runInfoJob({ modelPath: resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx') });
  const dom = createDom();
  const doc = dom.window.document;
  const app = new PanelApp(doc.getElementById('app')!, { post: () => undefined, rasterizer: noRaster, persist: () => undefined });
  app.handle(initMessage({ report, title: 'Model: fashion-resnet.onnx' }));
  const panel = doc.getElementById('panel-model-info');
  assert.ok(panel, 'the model-info panel');
  assert.equal(panel.querySelector('.section-error'), null, text(panel));
  const shown = text(panel);
  assert.match(shown, /input input: float32 \[N, 1, 28, 28\]/);
  assert.match(shown, /image input: input: NCHW, 1 channel\(s\), 28×28/);
  assert.match(shown, /scores: /);
  assert.match(shown, /Diagnostics/);
});
