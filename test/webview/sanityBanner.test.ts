import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelApp } from '../../webview/src/app';
import type { Rasterizer } from '../../webview/src/charts/exportChart';
import { parseWebviewMessage, type InitMessage, type WebviewToHost } from '../../src/protocol/webviewMessages';
import type { ReportV1 } from '../../src/engine/report/schema';
import type { SanitySection } from '../../src/engine/report/sections';
import { CLASS_NAMES, fixtureReport, initMessage } from './fixtures';
import { click, createDom } from './dom';

const FAKE_PNG = 'data:image/png;base64,iVBORw0KGgo=';
const fakeRasterizer: Rasterizer = { svgToPng: async () => FAKE_PNG, canvasToPng: () => FAKE_PNG };

function mount(init?: InitMessage) {
  const dom = createDom();
  const doc = dom.window.document;
  const root = doc.getElementById('app')!;
  const posted: WebviewToHost[] = [];
  const app = new PanelApp(root, { post: (m) => posted.push(m), rasterizer: fakeRasterizer, persist: () => undefined });
  if (init) app.handle(init);
  return { doc, root, app, posted };
}

const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
const ALPHABETICAL = [...CLASS_NAMES].sort();

/** The report of a run on alphabetical folders: the names the run used are alphabetical, the proposal is the logit order. */
function permutedReport(over: Partial<SanitySection> = {}): ReportV1 {
  const r = fixtureReport();
  r.dataset!.classNames = ALPHABETICAL;
  r.config.resolved.classNames = null;
  const sanity: SanitySection = {
    kind: 'sanity',
    findings: [
      {
        check: 'permutation',
        severity: 'error',
        message:
          'Looks like a labelling mistake (class order): 6 of the 10 classes present are each mostly predicted as one other, distinct logit.',
      },
      { check: 'confidence-gap', severity: 'warning', message: 'Looks like a labelling or preprocessing mistake: mean confidence 90.0 %.' },
    ],
    proposal: { classNames: CLASS_NAMES, accuracy: 0.85, currentAccuracy: 0.338, evaluated: 200 },
    ...over,
  };
  r.sections = { ...r.sections, sanity };
  return r;
}

test('sanity banner: at the top of the panel, findings, the proposed mapping, and Apply posts a valid message', () => {
  const report = permutedReport();
  const { doc, posted } = mount(initMessage({ report }));
  const banner = doc.querySelector('[data-testid="sanity-banner"]')!;
  assert.ok(banner, 'the banner is shown');
  assert.equal(banner.getAttribute('role'), 'alert');
  assert.ok(banner.classList.contains('sanity-error'));
  const summary = doc.querySelector('[data-testid="summary"]')!;
  assert.ok(
    banner.compareDocumentPosition(summary) & doc.defaultView!.Node.DOCUMENT_POSITION_FOLLOWING,
    'the banner comes before the summary',
  );
  assert.match(text(banner.querySelector('h2')), /Sanity check failed — these results are probably wrong/);
  const items = [...banner.querySelectorAll('.sanity-findings li')];
  assert.deepEqual(
    items.map((li) => li.getAttribute('data-check')),
    ['permutation', 'confidence-gap'],
  );
  assert.match(text(items[0]), /^Class order looks permuted: Looks like a labelling mistake/);
  // the mapping: one row per logit, proposed name beside the name the run used
  const rows = [...banner.querySelectorAll('table[data-testid="sanity-mapping"] tbody tr')];
  assert.equal(rows.length, 10);
  assert.deepEqual(
    [...rows[0].children].map((c) => text(c)),
    ['0', 't-shirt', 'ankle-boot'],
  );
  assert.deepEqual(
    rows.filter((r) => r.classList.contains('changed')).map((r) => r.getAttribute('data-logit')),
    ['0', '1', '2', '4', '8', '9'],
  );
  assert.match(text(banner), /clean accuracy would be 85\.0% instead of 33\.8% \(200 images\)/);
  // not in the section navigation
  assert.ok(![...doc.querySelectorAll('nav.section-nav a')].some((a) => a.getAttribute('href') === '#panel-sanity'));

  const button = banner.querySelector('[data-testid="apply-class-order"]')!;
  assert.equal(button.hasAttribute('disabled'), false);
  click(button);
  click(button);
  assert.deepEqual(posted, [{ type: 'apply-class-order', reportId: report.id }], 'posted once');
  assert.deepEqual(parseWebviewMessage(posted[0]), { ok: true, message: posted[0] });
  const after = doc.querySelector('[data-testid="apply-class-order"]')!;
  assert.ok(after.hasAttribute('disabled'));
  assert.equal(text(after), 'Class order sent to VS Code');
});

test('sanity banner: nothing when every check passed; a warning-only banner says "may be wrong"', () => {
  const clean = mount(initMessage({ report: permutedReport({ findings: [], proposal: null }) }));
  assert.equal(clean.doc.querySelector('[data-testid="sanity-banner"]'), null);
  assert.equal(clean.doc.querySelector('.banner-holder')!.children.length, 0);

  const warn = mount(
    initMessage({
      report: permutedReport({ findings: [{ check: 'confidence-gap', severity: 'warning', message: 'Looks like …' }], proposal: null }),
    }),
  );
  const banner = warn.doc.querySelector('[data-testid="sanity-banner"]')!;
  assert.ok(banner.classList.contains('sanity-warning'));
  assert.match(text(banner.querySelector('h2')), /may be wrong/);
  assert.equal(banner.querySelector('[data-testid="apply-class-order"]'), null, 'no proposal, no button');
});

test('sanity banner: streamed during a live run, Apply waits for the report', () => {
  const { app, doc, posted } = mount(initMessage({ state: 'running', report: null }));
  const sanity = permutedReport().sections.sanity;
  app.handle({ type: 'section', name: 'sanity', section: sanity });
  const button = doc.querySelector('[data-testid="apply-class-order"]')!;
  assert.ok(button.hasAttribute('disabled'));
  click(button);
  assert.deepEqual(posted, []);
});

test('sanity banner: compared runs each get their own banner, named by model', () => {
  const a = permutedReport();
  const b = permutedReport();
  b.id = 'b-report';
  b.model.path = '/w/other.onnx';
  const { doc, posted } = mount(initMessage({ report: a, compareWith: b }));
  const banners = [...doc.querySelectorAll('[data-testid="sanity-banner"]')];
  assert.equal(banners.length, 2);
  assert.match(text(banners[1].querySelector('h2')), /^other\.onnx: Sanity check failed/);
  click(banners[1].querySelector('[data-testid="apply-class-order"]')!);
  assert.deepEqual(posted, [{ type: 'apply-class-order', reportId: 'b-report' }]);
});

test('apply-class-order messages are validated', () => {
  assert.equal(parseWebviewMessage({ type: 'apply-class-order', reportId: 'x' }).ok, true);
  for (const bad of [
    { type: 'apply-class-order' },
    { type: 'apply-class-order', reportId: 7 },
    { type: 'apply-class-order', reportId: '' },
    { type: 'apply-class-order', reportId: 'x'.repeat(201) },
    { type: 'apply-class-order', reportId: 'x', classNames: ['a'] },
  ]) {
    assert.equal(parseWebviewMessage(bad).ok, false, JSON.stringify(bad).slice(0, 80));
  }
});

test("the summary's warnings do not repeat the findings the banner shows; other warnings stay", () => {
  const report = permutedReport();
  const findings = (report.sections.sanity as SanitySection).findings.map((f) => f.message);
  report.warnings = [...findings, 'ignored 3 files that are not images'];
  const { doc } = mount(initMessage({ report }));
  const warnings = [...doc.querySelectorAll('[data-testid="summary"] ul.warnings li')].map((li) => text(li));
  assert.deepEqual(warnings, ['ignored 3 files that are not images']);
  for (const f of findings) assert.ok(text(doc.querySelector('[data-testid="sanity-banner"]')).includes(f.slice(0, 40)));
});
