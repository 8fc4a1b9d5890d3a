/**
 * The panel's report toolbar (Export HTML report, Copy Markdown summary) and the standalone mode the HTML
 * report runs it in: embedded images by report-relative path, nothing that would need VS Code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelApp } from '../../webview/src/app';
import { parseWebviewMessage, isHostToWebview, type InitMessage, type WebviewToHost } from '../../src/protocol/webviewMessages';
import type { SanitySection } from '../../src/engine/report/sections';
import { ATTACKS, CLASS_NAMES, fixtureReport, initMessage } from './fixtures';
import { click, createDom } from './dom';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

function mount(init: InitMessage) {
  const dom = createDom();
  const doc = dom.window.document;
  const root = doc.getElementById('app')!;
  const posted: WebviewToHost[] = [];
  const app = new PanelApp(root, {
    post: (m) => posted.push(m),
    rasterizer: { svgToPng: async () => PNG, canvasToPng: () => PNG },
    persist: () => undefined,
  });
  app.handle(init);
  return { doc, posted };
}

test('the toolbar asks the host for the HTML export and the Markdown summary, with messages the host accepts', () => {
  const { doc, posted } = mount(initMessage());
  click(doc.querySelector('[data-testid="export-html"]')!);
  click(doc.querySelector('[data-testid="copy-markdown"]')!);
  assert.deepEqual(posted, [{ type: 'export-report' }, { type: 'copy-markdown' }]);
  for (const m of posted) assert.equal(parseWebviewMessage(m).ok, true);
});

test('no toolbar while a run has no report yet', () => {
  const { doc } = mount(initMessage({ state: 'running', report: null }));
  assert.equal(doc.querySelectorAll('.report-toolbar [data-testid]').length, 0);
});

test('standalone: images come from the embedded data: URLs; one left out says so; nothing asks for VS Code', () => {
  const report = fixtureReport();
  const sanity: SanitySection = {
    kind: 'sanity',
    findings: [{ check: 'permutation', severity: 'error', message: 'the class order looks permuted' }],
    proposal: { classNames: [...CLASS_NAMES].reverse(), accuracy: 0.9, currentAccuracy: 0.1, evaluated: 100 },
  };
  report.sections.sanity = sanity;
  const files = ATTACKS.runs[0].gallery[0].files;
  const init = initMessage({
    report,
    resourceBase: '',
    standalone: true,
    embeddedImages: { a: { [files.clean]: PNG, [files.adversarial]: PNG }, b: {} },
    imagesLeftOut: 1,
  });
  assert.ok(isHostToWebview(init), 'the standalone init is a message the panel accepts');
  const { doc, posted } = mount(init);
  const gallery = doc.querySelector('[data-testid="gallery"]')!;
  assert.deepEqual(
    [...gallery.querySelectorAll('img')].map((i) => i.getAttribute('src')),
    [PNG, PNG],
  );
  assert.match(gallery.textContent!, /image not embedded in this report \(size cap\)/);
  assert.equal(gallery.querySelectorAll('button.artefact').length, 0, 'no image opens a file');
  assert.equal(doc.querySelectorAll('.report-toolbar [data-testid]').length, 0, 'no export or copy button');
  assert.equal(doc.querySelector('[data-testid="apply-class-order"]'), null, 'no button that writes configuration');
  assert.match(doc.querySelector('#panel-sanity')!.textContent!, /Open this run in VS Code to apply this class order/);
  assert.match(doc.querySelector('[data-testid="standalone-note"]')!.textContent!, /1 image was left out of this file \(size cap\)/);
  // Chart exports still work: the standalone bootstrap saves them as downloads.
  click(doc.querySelector('figure.chart [data-export="csv"]')!);
  assert.equal(posted.at(-1)?.type, 'export');
});
