import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelApp } from '../../webview/src/app';
import type { Rasterizer } from '../../webview/src/charts/exportChart';
import { resourceUrl } from '../../webview/src/render/context';
import { isHostToWebview, parseWebviewMessage, type InitMessage, type WebviewToHost } from '../../src/protocol/webviewMessages';
import type { ReportV1 } from '../../src/engine/report/schema';
import type { OccludedFrequencySection } from '../../src/engine/report/sections';
import { ATTACKS, CLASS_NAMES, DEFENCES, OCCLUDED, SWEEPS, explainReport, fixtureReport, initMessage } from './fixtures';
import { explainedImageSummary } from '../../webview/src/render/occludedFrequency';
import { click, createDom } from './dom';
import { packNumericArrays, PACKED_ARRAY_MIN } from '../../src/host/panelMessages';

const FAKE_PNG = 'data:image/png;base64,iVBORw0KGgo=';
const fakeRasterizer: Rasterizer = {
  svgToPng: async () => FAKE_PNG,
  canvasToPng: () => FAKE_PNG,
};

function mount(init?: InitMessage) {
  const dom = createDom();
  const doc = dom.window.document;
  const root = doc.getElementById('app')!;
  const posted: WebviewToHost[] = [];
  const persisted: { runId: string }[] = [];
  const app = new PanelApp(root, { post: (m) => posted.push(m), rasterizer: fakeRasterizer, persist: (s) => persisted.push(s) });
  if (init) app.handle(init);
  return { dom, doc, root, app, posted, persisted };
}

const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
const cells = (row: Element) => [...row.children].map((c) => text(c));
const tick = () => new Promise((r) => setTimeout(r, 0));

test('a full report renders every element of the DOM contract', () => {
  const { root, doc, persisted } = mount(initMessage());
  assert.equal(root.getAttribute('data-state'), 'complete');
  assert.deepEqual(persisted, [{ runId: '20261122-045359-fashion-resnet' }]);

  const summary = doc.querySelector('[data-testid="summary"]')!;
  for (const expected of [
    'fashion-resnet.onnx',
    'input: float32 [N, 1, 28, 28]',
    '22 nodes, 7 op types',
    '33,594 (33.6k)',
    'cpu',
    '/work/main/samples/images',
    '100 of 100',
    '10: t-shirt, trouser',
    '92.0% (92/100)',
    'sampling 0, attack1 0, attack2 1000003',
  ]) {
    assert.ok(text(summary).includes(expected), `summary shows ${expected}`);
  }
  assert.equal(text(summary.querySelector('.badge')), 'complete');

  const attackRows = doc.querySelectorAll('table[data-testid="attack-table"] tr[data-attack]');
  assert.equal(attackRows.length, 4);
  assert.deepEqual(
    [...attackRows].map((r) => r.querySelector('td.mode')!.textContent),
    ['fixed ε', 'minimal ε', 'minimal perturbation', 'query-limited'],
    'modes in words, never the raw ids',
  );
  assert.equal(cells(attackRows[1])[0], 'PGD-10 L∞ ε=8/255 (0.0314)', 'the mode is not said twice: not in the label when in its column');
  assert.deepEqual(cells(attackRows[0]), [
    'FGSM ε=8/255 (0.0314) ★',
    'fixed ε',
    '8/255 (0.0314)',
    '92.0%',
    '100.0%',
    '43.0%',
    '100.0%',
    '53.3%',
    '49/92',
    '0.768',
    '0.0314 (≈8.0/255)',
    '1',
    '0',
    '1',
    '899',
  ]);

  const defence = doc.querySelector('table[data-testid="defence-table"]')!;
  const defenceRows = defence.querySelectorAll('tr[data-attack]');
  assert.equal(defenceRows.length, 3);
  assert.equal(text(defenceRows[0].querySelector('.rate-pair')), '71.4% / 18.4%');
  assert.equal(text(defenceRows[1].querySelector('.rate-pair')), '— / —');
  // Explanations live in the details row under each row (and the rate cell's tooltip), not in the cell.
  const note = (row: Element) => row.nextElementSibling!.querySelector('.adaptive-note');
  assert.equal(text(note(defenceRows[1])), 'no adversarial examples to attack (#Adv = 0)');
  assert.equal(defenceRows[1].querySelector('td.defence-rate')!.getAttribute('title'), 'no adversarial examples to attack (#Adv = 0)');
  // Each rate pair is on one set of examples, named; a part of #Adv brings the rate on all of it, labelled.
  assert.equal(
    text(note(defenceRows[0])),
    'both on all 49 adversarial examples; adaptive: EOT-PGD-10 L∞ ε=8/255 (K=15), defended accuracy on its examples 52.0% / 100.0%, 1 m 24 s',
  );
  assert.equal(text(defenceRows[2].querySelector('.rate-pair')), '25.0% / 2.0%');
  assert.match(
    text(note(defenceRows[2])),
    /^both on the 32 of the 49 adversarial examples re-attacked in pass 2; non-adaptive on all 49 adversarial examples 26\.5%; adaptive: PGD-10/,
  );
  assert.ok(!text(defence).includes(' of 49 adversarial examples (non-adaptive on the same'), 'no count over another pass’s denominator');
  assert.deepEqual(
    cells(defenceRows[0]),
    ['FGSM ε=8/255 (0.0314)', 'fixed ε', '49', '92.0% / 100.0%', '43.0% / 100.0%', '91.0% / 100.0%', '78.0% / 100.0%', '71.4% / 18.4%'],
    'cells carry numbers only',
  );
  assert.equal(
    text(defenceRows[0].nextElementSibling!.querySelector('.seeds')),
    'Seeds: attack 0, adaptive 11, defence 7.',
    'seeds of the attack, the adaptive attack and the defence, folded in the details row',
  );
  const header = text(defence.querySelector('tbody[data-defence="post-averaging"] tr.group-row'));
  assert.ok(header.includes('r = 0.3 (model-input space) = 0.1061 (pixel units)'), header);
  assert.ok(header.includes("cost ×91.0 the plain model's time per image (900 → 9.89 images/s, batch 64)"), header);

  const of = doc.querySelector('svg[data-testid="of-chart"]')!;
  assert.equal(of.querySelectorAll('rect.bar').length, 8 + 1, 'one bar per band, plus the legend swatch');
  assert.equal(of.querySelectorAll('.series path.flip-mark').length, 3, 'bands with a non-zero flip rate');

  const heatmaps = doc.querySelectorAll('canvas[data-testid="rct-heatmap"]');
  assert.equal(heatmaps.length, 2);
  for (const c of heatmaps)
    assert.equal(c.nextElementSibling?.matches('svg[data-testid="rct-legend"]'), true, 'each heatmap is followed by its legend');

  for (const id of ['defence-rate-vs-radius', 'defence-rate-vs-epsilon', 'defence-rate-vs-K', 'accuracy-vs-cutoff']) {
    assert.equal(doc.querySelectorAll(`svg[data-testid="sweep-${id}"]`).length, 1, id);
  }
  const gallery = doc.querySelector('[data-testid="gallery"]')!;
  assert.equal(gallery.querySelectorAll('img').length, 3);
  assert.equal(
    gallery.querySelector('img')!.getAttribute('src'),
    'https://file+.vscode-resource.vscode-cdn.net/ws/.robustness/runs/20261122-045359-fashion-resnet/gallery/attack-1/00-t-shirt-clean.png',
  );

  // Every chart sits in a figure.chart with a caption, SVG/PNG/CSV export buttons and a hidden data table.
  const charts = [
    ...doc.querySelectorAll('svg[data-testid^="sweep-"], svg[data-testid="of-chart"], svg[data-testid="budget-curve"], canvas'),
  ];
  assert.equal(charts.length, 4 + 1 + 1 + 2 + 2);
  for (const chart of charts) {
    const figure = chart.closest('figure.chart');
    assert.ok(figure, `${chart.getAttribute('data-testid')} is in a figure.chart`);
    assert.ok(text(figure.querySelector('figcaption')).length > 0);
    assert.deepEqual(
      [...figure.querySelectorAll('[data-export]')].map((b) => b.getAttribute('data-export')),
      ['svg', 'png', 'csv'],
    );
    assert.ok(figure.querySelector('table.chart-data tbody tr'), 'a data table with rows');
  }
  assert.equal(doc.querySelectorAll('figure.chart').length, charts.length);
  assert.deepEqual(
    [...doc.querySelectorAll('nav.section-nav a')].map((a) => a.getAttribute('href')),
    [
      '#panel-attacks',
      '#panel-defences',
      '#panel-sweeps',
      '#panel-occluded-frequency',
      '#panel-rct',
      '#panel-spectra',
      '#panel-gallery',
      '#definitions-a',
    ],
  );
  // The nav's last link leads to the definitions under the verdict.
  assert.ok(doc.querySelector('#definitions-a dt'), 'the definitions list it links to');
  // The panel's toolbar: the host exports and summarises from its own copy of the report.
  assert.deepEqual(
    [...doc.querySelectorAll('.report-toolbar [data-testid]')].map((b) => b.getAttribute('data-testid')),
    ['export-html', 'copy-markdown'],
  );
});

test('the data table of a sweep holds the same numbers as the chart', () => {
  const { doc } = mount(initMessage());
  const table = doc.querySelector('svg[data-testid="sweep-defence-rate-vs-radius"]')!.closest('figure')!.querySelector('table.chart-data')!;
  assert.deepEqual(
    [...table.querySelectorAll('thead th')].map((t) => t.textContent),
    ['radius r (model-input space)', 'non-adaptive (fixed ε)', 'clean accuracy'],
  );
  assert.deepEqual([...table.querySelectorAll('tbody tr')].map(cells), [
    ['0.1', '31.0%', '92.0%'],
    ['0.2', '55.0%', '92.0%'],
    ['0.3', '71.0%', '91.0%'],
    ['0.4', '76.0%', '88.0%'],
    ['0.5', '80.0%', '83.0%'],
  ]);
});

test('export buttons post ExportMessages that the host validator accepts: standalone SVG, PNG data URL, CSV', async () => {
  const { doc, posted } = mount(initMessage());
  const figure = doc.querySelector('svg[data-testid="sweep-defence-rate-vs-K"]')!.closest('figure')!;
  for (const format of ['svg', 'png', 'csv']) click(figure.querySelector(`[data-export="${format}"]`)!);
  await tick();
  assert.equal(posted.length, 3);
  for (const m of posted) assert.equal(parseWebviewMessage(m).ok, true, JSON.stringify(m).slice(0, 200));
  const byFormat = (f: string) => (posted as Extract<WebviewToHost, { type: 'export' }>[]).find((m) => m.format === f)!;
  const [svg, png, csv] = [byFormat('svg'), byFormat('png'), byFormat('csv')];
  assert.equal(svg.suggestedName, '20261122-045359-fashion-resnet-sweep-defence-rate-vs-K.svg');
  assert.match(svg.data, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*width="560"/);
  assert.ok(!svg.data.includes('focus-dot') && !svg.data.includes('tooltip'), 'the focus overlay is not exported');
  assert.equal(png.data, FAKE_PNG);
  assert.equal(csv.data, 'K,non-adaptive (fixed ε)\r\n1,0.42\r\n5,0.63\r\n15,0.71\r\n30,0.72\r\n');

  posted.length = 0;
  const rct = doc.querySelector('canvas[data-testid="rct-heatmap"]')!.closest('figure')!;
  click(rct.querySelector('[data-export="svg"]')!);
  click(rct.querySelector('[data-export="csv"]')!);
  await tick();
  const [rctSvg, rctCsv] = [byFormat('svg'), byFormat('csv')];
  assert.ok(rctSvg.data.includes(`href="${FAKE_PNG}"`), 'the heatmap SVG embeds the map as PNG');
  assert.ok(rctSvg.data.includes('data-testid') === false);
  assert.equal(rctCsv.data.split('\r\n').length, 1 + 64 + 1, 'header, every cell, final newline');
  assert.equal(rctCsv.data.split('\r\n')[1], '0,0,2');
});

test('an export that fails is reported in the panel instead of posting', async () => {
  const dom = createDom();
  const posted: WebviewToHost[] = [];
  const app = new PanelApp(dom.window.document.getElementById('app')!, {
    post: (m) => posted.push(m),
    persist: () => {},
    rasterizer: {
      svgToPng: async () => {
        throw new Error('img-src blocked');
      },
      canvasToPng: () => FAKE_PNG,
    },
  });
  app.handle(initMessage());
  click(dom.window.document.querySelector('svg[data-testid="of-chart"]')!.closest('figure')!.querySelector('[data-export="png"]')!);
  await tick();
  assert.deepEqual(posted, []);
  assert.equal(
    text(dom.window.document.querySelector('.export-error')),
    'Export of "Occluded Frequency: dataset mean" as PNG failed: img-src blocked',
  );
});

test('Occluded Frequency views: class average and single image with flips, dataset-mean ticks and previews; the choice survives re-renders', () => {
  const { doc, app } = mount(initMessage());
  const select = doc.getElementById('of-view') as HTMLSelectElement;
  assert.deepEqual(
    [...select.options].map((o) => o.value),
    ['mean', 'class:0', 'class:6', 'image:t-shirt/0083.png', 'image:shirt/0112.png'],
  );
  select.value = 'image:t-shirt/0083.png';
  select.dispatchEvent(new doc.defaultView!.Event('change'));
  const of = doc.querySelector('svg[data-testid="of-chart"]')!;
  assert.equal(of.querySelectorAll('.series rect.bar').length, 8);
  assert.equal(of.querySelectorAll('.series path.flip-mark').length, 2, 'bands 0 and 1 flip this image');
  assert.equal(of.querySelectorAll('g.plot > g.reference line').length, 8, 'dataset mean ticks');
  const previews = [...doc.querySelectorAll('.of-previews img')].map((i) => i.getAttribute('src'));
  assert.equal(previews.length, 3);
  assert.ok(previews[0]!.endsWith('/20261122-045359-fashion-resnet/of/t-shirt-0083-band0.png'));
  app.handle({ type: 'section', name: 'note', section: { kind: 'future-kind' } });
  assert.equal((doc.getElementById('of-view') as HTMLSelectElement).value, 'image:t-shirt/0083.png');
  assert.equal(text(doc.querySelector('#of-chart figcaption .chart-title')), 'Occluded Frequency: image t-shirt/0083.png');
});

test('a running job: progress with stage, count and ETA, Cancel posts {type: cancel}, sections stream in, then the partial state', () => {
  const { root, doc, app, posted } = mount(initMessage({ state: 'running', report: null }));
  assert.equal(root.getAttribute('data-state'), 'running');
  assert.equal(doc.querySelector('[data-testid="summary"] p'), null, 'the progress region alone says it is waiting');
  assert.equal(doc.querySelector('table[data-testid="attack-table"]'), null);

  app.handle({ type: 'progress', stage: 'attacking (4 attacks)', done: 32, total: 100, etaSeconds: null });
  assert.equal(text(doc.querySelector('.progress-text')), 'attacking (4 attacks): 32 of 100 (32%) · ETA estimating…');
  assert.equal(
    text(doc.querySelector('[data-testid="progress-waiting"]')),
    'Waiting for the first results: clean accuracy comes first, then each analysis as its stage finishes.',
  );
  const cancelBefore = doc.querySelector('[data-testid="cancel"]');
  app.handle({ type: 'progress', stage: 'attacking (4 attacks)', done: 32, total: 100, etaSeconds: 65 });
  assert.equal(text(doc.querySelector('.progress-text')), 'attacking (4 attacks): 32 of 100 (32%) · ETA 1 m 05 s (whole run)');
  assert.equal(
    doc.querySelector('[data-testid="cancel"]'),
    cancelBefore,
    'a tick updates the numbers in place: the Cancel button (and its focus) stays',
  );
  assert.equal(doc.querySelector('progress')!.getAttribute('value'), '32');
  const cancel = doc.querySelector('[data-testid="cancel"]')!;
  click(cancel);
  click(doc.querySelector('[data-testid="cancel"]')!);
  assert.deepEqual(posted, [{ type: 'cancel' }], 'one cancel, however often it is clicked');
  assert.equal(text(doc.querySelector('[data-testid="cancel"]')), 'Cancelling…');

  app.handle({ type: 'section', name: 'attacks', section: ATTACKS });
  assert.equal(doc.querySelectorAll('table[data-testid="attack-table"] tr[data-attack]').length, 4);
  assert.equal(doc.querySelector('[data-testid="progress-waiting"]'), null, 'no "waiting" once a section is shown');
  // The host counts the ETA down every second; past its estimate the run is finishing, never "0 s" away.
  app.handle({ type: 'progress', stage: 'attacking (4 attacks)', done: 99, total: 100, etaSeconds: 0 });
  assert.equal(text(doc.querySelector('.progress-text')), 'attacking (4 attacks): 99 of 100 (99%) · ETA finishing…');
  assert.ok(text(doc.querySelector('[data-testid="summary"]')).includes('92.0% (92/100)'), 'clean accuracy from the attack runs');

  app.handle({ type: 'state', state: 'partial', message: 'cancelled: 2 of 7 sections kept' });
  assert.equal(root.getAttribute('data-state'), 'partial');
  assert.equal(doc.querySelector('[data-testid="cancel"]'), null);
  assert.equal(text(doc.querySelector('[data-testid="summary"] .badge-partial')), 'partial');
  assert.equal(text(doc.querySelector('.status-message')), 'cancelled: 2 of 7 sections kept');
});

test('a streamed section replaces the one with the same name (defences arrive before and after the adaptive attacks)', () => {
  const report = fixtureReport();
  const { doc, app } = mount(initMessage({ state: 'running', report: null }));
  const defences = structuredClone(report.sections.defences) as NonNullable<typeof report.sections.defences> & {
    results: { rows: { adaptive: unknown }[] }[];
  };
  const pending = structuredClone(defences);
  pending.results.forEach((r) =>
    r.rows.forEach((row) => {
      row.adaptive = null;
    }),
  );
  app.handle({ type: 'section', name: 'defences', section: pending });
  assert.equal(
    text(doc.querySelector('table[data-testid="defence-table"] tr.details-row .adaptive-note')),
    'adaptive attacks still running',
  );
  app.handle({ type: 'section', name: 'defences', section: defences });
  assert.equal(doc.querySelectorAll('table[data-testid="defence-table"]').length, 1);
  assert.equal(text(doc.querySelector('table[data-testid="defence-table"] tr[data-attack] .rate-pair')), '71.4% / 18.4%');
});

test('compare mode: two summary cards, both models in the attack and defence tables, both models on one OF chart', () => {
  const other: ReportV1 = fixtureReport();
  other.model = { ...other.model, path: '/work/models/fashion-resnet-robust.onnx' };
  const of: OccludedFrequencySection = structuredClone(OCCLUDED);
  of.models[0].model = other.model.path;
  of.models[0].mean = of.models[0].mean.map((v) => v / 2);
  other.sections = { ...other.sections, occludedFrequency: of };
  const { doc } = mount(
    initMessage({ compareWith: other, compareResourceBase: 'https://file+.vscode-resource.vscode-cdn.net/ws/.robustness/runs/b' }),
  );
  assert.equal(doc.querySelectorAll('[data-testid="summary"] .summary-card').length, 2);
  const rows = doc.querySelectorAll('table[data-testid="attack-table"] tr[data-attack]');
  assert.equal(rows.length, 8);
  // Each attack's row of A, then its row of B.
  assert.deepEqual(
    [...rows].slice(0, 2).map((r) => [r.firstElementChild!.textContent, r.getAttribute('data-attack')]),
    [
      ['fashion-resnet.onnx', ATTACKS.runs[0].label],
      ['fashion-resnet-robust.onnx', ATTACKS.runs[0].label],
    ],
  );
  assert.equal(doc.querySelectorAll('table[data-testid="defence-table"] tr[data-attack]').length, 6);
  const chart = doc.querySelector('svg[data-testid="of-chart"]')!;
  assert.deepEqual(
    [...chart.querySelectorAll('g.plot > g.series')].map((g) => g.getAttribute('data-series')),
    ['fashion-resnet.onnx', 'fashion-resnet-robust.onnx'],
  );
  assert.equal(chart.querySelectorAll('g.plot > g.series rect.bar').length, 16);
  const compareImage = [...doc.querySelectorAll('[data-testid="gallery"] img')]
    .map((i) => i.getAttribute('src'))
    .find((s) => s!.includes('/runs/b/'));
  assert.ok(compareImage, "the second run's gallery resolves against its own folder");
});

test('hostile strings from a report are shown as text, never parsed as markup', () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const report = fixtureReport();
  report.dataset!.classNames = [hostile, ...CLASS_NAMES.slice(1)];
  report.config.resolved.classNames = report.dataset!.classNames;
  report.model = { ...report.model, path: '/models/<img src=y onerror=alert(2)>.onnx' };
  const attacks = structuredClone(ATTACKS);
  attacks.runs[0].label = `<b onmouseover=alert(3)>FGSM</b>`;
  report.sections.attacks = attacks;
  report.warnings = ['<iframe src="javascript:alert(4)">'];
  const { doc } = mount(initMessage({ report, title: '<svg onload=alert(5)>' }));
  assert.equal(doc.querySelectorAll('script, iframe, img[src="x"], img[src="y"], b, [onerror], [onload], [onmouseover]').length, 0);
  const body = doc.body.textContent!;
  for (const s of [
    hostile,
    '<img src=y onerror=alert(2)>.onnx',
    '<b onmouseover=alert(3)>FGSM</b>',
    '<iframe src="javascript:alert(4)">',
    '<svg onload=alert(5)>',
  ]) {
    assert.ok(body.includes(s), `shown as text: ${s}`);
  }
  const select = doc.getElementById('of-view') as HTMLSelectElement;
  assert.ok([...select.options].some((o) => o.textContent === `Class average: ${hostile} (1 images)`));
});

test('report paths that leave the run folder are not loaded; gallery images of the own run open through the host', () => {
  assert.equal(resourceUrl('https://x/run', 'gallery/a b.png'), 'https://x/run/gallery/a%20b.png');
  assert.equal(resourceUrl('https://x/run/', 'gallery\\attack-1\\c.png'), 'https://x/run/gallery/attack-1/c.png', 'Windows separators');
  assert.equal(resourceUrl('https://x/run', '../../etc/passwd'), null);
  assert.equal(resourceUrl('https://x/run', '/etc/passwd'), null);
  assert.equal(resourceUrl('https://x/run', 'https://evil.example/x.png'), null);

  const report = fixtureReport();
  const attacks = structuredClone(ATTACKS);
  attacks.runs[0].gallery[0].files.adversarial = '../../../secret.png';
  report.sections.attacks = attacks;
  const { doc, posted } = mount(initMessage({ report }));
  const srcs = [...doc.querySelectorAll('[data-testid="gallery"] img')].map((i) => i.getAttribute('src'));
  assert.equal(srcs.length, 2);
  assert.ok(srcs.every((s) => !s!.includes('secret')));
  click(doc.querySelector('[data-testid="gallery"] button.artefact')!);
  assert.deepEqual(posted, [{ type: 'open-artefact', relPath: 'gallery/attack-1/00-t-shirt-clean.png' }]);
  assert.equal(parseWebviewMessage(posted[0]).ok, true);
});

test("the state in the host's HTML stands until init arrives; a malformed report envelope still leaves the sections readable", () => {
  const dom = createDom();
  const root = dom.window.document.getElementById('app')!;
  root.setAttribute('data-state', 'complete');
  const app = new PanelApp(root, { post: () => {}, rasterizer: fakeRasterizer, persist: () => {} });
  assert.equal(root.getAttribute('data-state'), 'complete');
  const report = fixtureReport() as unknown as Record<string, unknown>;
  delete report.model;
  app.handle(initMessage({ report: report as unknown as ReportV1 }));
  assert.match(text(dom.window.document.querySelector('[data-testid="summary"]')), /^The summary could not be shown: /);
  assert.equal(dom.window.document.querySelectorAll('table[data-testid="attack-table"] tr[data-attack]').length, 4);
});

test('a section that cannot be rendered shows its error in place; unknown kinds are listed; junk messages are ignored', () => {
  const report = fixtureReport();
  report.sections.rct = {
    kind: 'rct',
    epsilon: 1e-3,
    definition: 'RCT',
    maps: [{ attack: 'FGSM', mode: 'fixed-eps', count: 3, map: { height: 4, width: 4, values: [1, 2, 3] } }],
  };
  report.sections.fromTheFuture = { kind: 'certified-radius', values: [] };
  const { doc, app, root } = mount(initMessage({ report }));
  assert.equal(
    text(doc.querySelector('#panel-rct .section-error')),
    'RCT maps could not be shown: RCT: FGSM: 3 values for a 4×4 map (expected 16)',
  );
  assert.ok(doc.querySelector('table[data-testid="attack-table"]'), 'other sections still render');
  assert.equal(
    text(doc.querySelector('#panel-other li')),
    '"fromTheFuture" (kind "certified-radius") is not shown by this version of the panel.',
  );
  for (const junk of [null, 'init', { type: 'init' }, { type: 'state', state: 'exploded' }, { type: 'eval', code: 'x' }]) {
    assert.equal(isHostToWebview(junk), false);
    app.handle(junk);
  }
  assert.equal(root.getAttribute('data-state'), 'complete');
});

test('a report whose long number arrays arrive as Float64Array (as the host packs them) renders exactly like the plain one', () => {
  const plain = mount(initMessage());
  const packedInit = packNumericArrays(initMessage());
  const rct = (packedInit.report!.sections.rct as { maps: { map: { values: unknown } }[] }).maps[0].map.values;
  assert.ok(rct instanceof Float64Array, "the fixture's RCT map was packed");
  const packed = mount();
  packed.app.handle(packedInit);
  assert.equal(text(packed.root), text(plain.root));
  assert.equal(packed.root.querySelectorAll('canvas').length, plain.root.querySelectorAll('canvas').length);
  assert.ok(plain.root.querySelectorAll('canvas').length > 0);
  assert.equal(packed.root.querySelectorAll('.section-error').length, 0);
  const aria = (r: Element) => [...r.querySelectorAll('canvas')].map((c) => c.getAttribute('aria-label')).join('|');
  assert.equal(aria(packed.root), aria(plain.root), 'same maps, same scales');
});

test('a sweep over 64 ε values, packed as the host sends it, charts the same points as the plain one (no NaN)', () => {
  const eps = Array.from({ length: PACKED_ARRAY_MIN }, (_, i) => (i + 1) / 255);
  const rate = eps.map((_, i) => i / PACKED_ARRAY_MIN);
  const report = fixtureReport();
  report.sections.sweeps = {
    kind: 'sweeps',
    sweeps: [
      {
        id: 'defence-rate-vs-epsilon',
        title: 'Defence rate vs ε',
        xLabel: 'ε (pixel units)',
        yLabel: 'defence rate',
        x: eps,
        series: [{ name: 'non-adaptive', attack: 'FGSM', mode: 'fixed-eps', y: rate }],
        fixed: { K: 15 },
      },
    ],
  };
  const packedInit = packNumericArrays(initMessage({ report }));
  const sweep = (packedInit.report!.sections.sweeps as { sweeps: { x: unknown }[] }).sweeps[0];
  assert.ok(sweep.x instanceof Float64Array, 'the 64 ε values were packed');
  const plain = mount(initMessage({ report }));
  const packed = mount();
  packed.app.handle(packedInit);
  assert.equal(
    packed.root.querySelector('#panel-sweeps .section-error'),
    null,
    text(packed.root.querySelector('#panel-sweeps .section-error')),
  );
  const figure = (r: Element) => r.querySelector('svg[data-testid="sweep-defence-rate-vs-epsilon"]')!.closest('figure')!;
  const rows = (r: Element) => [...figure(r).querySelectorAll('table.chart-data tbody tr')].map(cells);
  assert.equal(rows(packed.root).length, PACKED_ARRAY_MIN);
  assert.deepEqual(rows(packed.root), rows(plain.root));
  const svg = figure(packed.root).querySelector('svg')!.outerHTML;
  assert.ok(!svg.includes('NaN'), 'no NaN in the chart');
  assert.equal(svg, figure(plain.root).querySelector('svg')!.outerHTML);
});

test('packing keeps every value and leaves short arrays, strings and nested objects as they were', () => {
  const long = Array.from({ length: PACKED_ARRAY_MIN }, (_, i) => i / 3);
  const m = {
    type: 'section',
    name: 'rct',
    section: {
      maps: [{ map: { height: 8, width: 8, values: long } }],
      labels: ['a', 'b'],
      short: [1, 2, 3],
      mixed: [...long.slice(0, 70), 'x'],
    },
  };
  const p = packNumericArrays(m);
  const values = p.section.maps[0].map.values as unknown as Float64Array;
  assert.ok(values instanceof Float64Array);
  assert.deepEqual(Array.from(values), long, 'exact doubles');
  assert.deepEqual(p.section.labels, ['a', 'b']);
  assert.deepEqual(p.section.short, [1, 2, 3]);
  assert.ok(Array.isArray(p.section.mixed));
  assert.ok(Array.isArray(m.section.maps[0].map.values), 'the original is not changed');
});

/** Two runs of the fixture, B a second model with its own numbers. */
function comparePair(edit: (b: ReportV1) => void = () => undefined) {
  const b: ReportV1 = structuredClone(fixtureReport());
  b.model = { ...b.model, path: '/work/models/fashion-resnet-robust.onnx' };
  edit(b);
  return b;
}

test('compare mode: a B − A row after each pair in the attack table, in percentage points with a true minus sign', () => {
  const b = comparePair((r) => {
    const attacks = r.sections.attacks as typeof ATTACKS;
    attacks.runs[0] = { ...attacks.runs[0], attacked: { ...attacks.runs[0].attacked, top1Accuracy: 0.41 }, successRate: 0.6 };
  });
  const { doc } = mount(initMessage({ compareWith: b, compareResourceBase: 'https://x/runs/b' }));
  const table = doc.querySelector('table[data-testid="attack-table"]')!;
  const body = [...table.querySelectorAll('tbody > tr')];
  assert.deepEqual(
    body.slice(0, 3).map((r) => r.getAttribute('data-side') ?? r.className),
    ['a', 'b', 'delta-row'],
  );
  const delta = body[2];
  const header = [...table.querySelectorAll('thead th')].map((th) => text(th));
  const cell = (label: string) => text(delta.children[header.indexOf(label)]);
  assert.equal(delta.children.length, header.length, 'the delta row has a cell under every column');
  assert.equal(cell('Model'), 'B − A');
  // Fixture A: attacked top-1 43.0 %, success rate 49/92 = 53.3 %.
  assert.equal(cell('Attacked top-1'), '−2.0 pp');
  assert.equal(cell('Success rate'), `+${((0.6 - 49 / 92) * 100).toFixed(1)} pp`);
  assert.equal(cell('Clean top-1'), '±0.0 pp');
  assert.equal(table.querySelectorAll('tr.delta-row').length, ATTACKS.runs.length);
});

test('compare mode: a pair whose ε differs gets no deltas, only why; an attack only one run has gets none', () => {
  const b = comparePair((r) => {
    const attacks = r.sections.attacks as typeof ATTACKS;
    attacks.runs[0] = { ...attacks.runs[0], params: { ...attacks.runs[0].params, eps: 4 / 255 }, label: 'FGSM ε=4/255 (0.0157)' };
    attacks.runs.pop();
  });
  const { doc } = mount(initMessage({ compareWith: b, compareResourceBase: 'https://x/runs/b' }));
  const deltas = [...doc.querySelectorAll('table[data-testid="attack-table"] tr.delta-row')];
  assert.equal(deltas.length, ATTACKS.runs.length - 1);
  assert.equal(text(deltas[0].querySelector('.delta-skipped')), 'not compared: ε differs (A 8/255, B 4/255)');
  assert.equal(deltas[0].querySelectorAll('td.num').length, 0);
});

test("compare mode: the attack caption gives each run its own image count, never the first run's for both", () => {
  const b = comparePair((r) => {
    for (const run of (r.sections.attacks as typeof ATTACKS).runs) run.evaluated = 500;
  });
  const { doc } = mount(initMessage({ compareWith: b, compareResourceBase: 'https://x/runs/b' }));
  const caption = text(doc.querySelector('table[data-testid="attack-table"] caption'));
  assert.ok(caption.includes('fashion-resnet.onnx: criterion top-1, gradients analytic, 100 images'), caption);
  assert.ok(caption.includes('fashion-resnet-robust.onnx: criterion top-1, gradients analytic, 500 images'), caption);
});

test('compare mode: a B − A body after each defence pair, rates in percentage points', () => {
  const b = comparePair((r) => {
    const defences = r.sections.defences as typeof DEFENCES;
    const row = defences.results[0].rows[0];
    defences.results[0].rows[0] = {
      ...row,
      defenceRate: row.defenceRate! - 0.1,
      adaptive: row.adaptive && { ...row.adaptive, defenceRate: row.adaptive.defenceRate! + 0.05 },
    };
  });
  const { doc } = mount(initMessage({ compareWith: b, compareResourceBase: 'https://x/runs/b' }));
  const table = doc.querySelector('table[data-testid="defence-table"]')!;
  const bodies = [...table.querySelectorAll('tbody')].map((t) => t.getAttribute('data-side') ?? `delta:${t.getAttribute('data-delta')}`);
  assert.deepEqual(bodies, ['a', 'b', 'delta:post-averaging', 'a', 'b', 'delta:low-pass']);
  const first = table.querySelector('tbody.delta-body tr.delta-row')!;
  const header = [...table.querySelectorAll('thead th')].map((th) => text(th));
  const rate = text(first.children[header.findIndex((hd) => hd.startsWith('Defence rate'))]);
  assert.equal(rate, '−10.0 pp / +5.0 pp');
  assert.equal(text(first.children[header.indexOf('Original clean')]), '±0.0 pp / ±0.0 pp');
});

test('compare mode: the mismatch warning heads the panel, hard and stale lines marked; none when the runs match', () => {
  const b = comparePair();
  const comparison = [
    { severity: 'stale' as const, text: 'A is stale: robustness.json was modified after this run' },
    { severity: 'hard' as const, text: 'A used 500 images (seed 0), B 100 (seed 0)' },
    { severity: 'soft' as const, text: 'attacks: A full preset (7 attacks), B fast preset (4 attacks)' },
  ];
  const { doc, root } = mount(initMessage({ compareWith: b, compareResourceBase: 'https://x/runs/b', comparison }));
  const block = doc.querySelector('[data-testid="compare-check"]')!;
  assert.ok(block, 'the warning is shown');
  assert.equal(block.getAttribute('role'), 'alert');
  const order = [...root.querySelectorAll('[data-testid="compare-check"], [data-testid="summary"]')].map((e) =>
    e.getAttribute('data-testid'),
  );
  assert.deepEqual(order, ['compare-check', 'summary'], 'above the summary cards');
  assert.match(text(block.querySelector('h2')), /^These runs do not match/);
  assert.ok(text(block).includes('A = fashion-resnet.onnx, B = fashion-resnet-robust.onnx'));
  assert.deepEqual(
    [...block.querySelectorAll('li')].map((li) => [li.getAttribute('data-severity'), text(li)]),
    [
      ['stale', 'stale run A is stale: robustness.json was modified after this run'],
      ['hard', 'not comparable A used 500 images (seed 0), B 100 (seed 0)'],
      ['soft', 'partly comparable attacks: A full preset (7 attacks), B fast preset (4 attacks)'],
    ],
  );
  const softOnly = mount(initMessage({ compareWith: b, compareResourceBase: 'https://x/runs/b', comparison: [comparison[2]] }));
  assert.match(text(softOnly.doc.querySelector('[data-testid="compare-check"] h2')), /^These runs differ: compare only what they share/);
  assert.equal(
    mount(initMessage({ compareWith: b, compareResourceBase: 'https://x/runs/b', comparison: [] })).doc.querySelector(
      '[data-testid="compare-check"]',
    ),
    null,
  );
  assert.equal(mount(initMessage({ comparison })).doc.querySelector('[data-testid="compare-check"]'), null, 'never on a single run');
});

test("compare mode: a sweep both runs made on the same axes is one chart with both models' curves; other axes keep a chart each", () => {
  const b = comparePair((r) => {
    const sweeps = r.sections.sweeps as typeof SWEEPS;
    sweeps.sweeps[0].series[0].y = sweeps.sweeps[0].series[0].y.map((v) => (v === null ? null : v / 2));
    sweeps.sweeps[2].x = [1, 5, 15, 60];
  });
  const { doc } = mount(initMessage({ compareWith: b, compareResourceBase: 'https://x/runs/b' }));
  const radius = doc.querySelectorAll('svg[data-testid="sweep-defence-rate-vs-radius"]');
  assert.equal(radius.length, 1, 'one chart for both models');
  assert.deepEqual(
    [...radius[0].querySelectorAll('g.plot > g.series')].map((g) => g.getAttribute('data-series')),
    [
      'fashion-resnet.onnx: non-adaptive (fixed ε)',
      'fashion-resnet.onnx: clean accuracy',
      'fashion-resnet-robust.onnx: non-adaptive (fixed ε)',
      'fashion-resnet-robust.onnx: clean accuracy',
    ],
  );
  const data = radius[0].closest('figure')!.querySelector('table.chart-data')!;
  const firstRow = [...data.querySelectorAll('tbody tr')][0];
  assert.deepEqual(cells(firstRow).slice(1), ['31.0%', '92.0%', '15.5%', '92.0%']);
  assert.equal(doc.querySelectorAll('svg[data-testid="sweep-defence-rate-vs-K"]').length, 2, 'different K grids: a chart per model');
});

test('RCT and spectrum heatmaps show frequency axes (DCT from DC at the top left, centred DFT with DC at 0) and a colour bar with quantity and unit', () => {
  const { doc } = mount(initMessage());
  const figures = [...doc.querySelectorAll('figure.heatmap-chart')];
  assert.equal(figures.length, 2 + 2, 'two RCT maps, a spectrum and a log-spectrum difference');
  const ticks = (fig: Element, axis: 'x' | 'y') =>
    [...fig.querySelectorAll(`svg.heatmap-axis-${axis} .tick text`)].map((t) => t.textContent);
  const rct = doc.querySelector('canvas[data-testid="rct-heatmap"]')!.closest('figure')!;
  const eight = ['0', '1', '2', '3', '4', '5', '6', '7'];
  assert.deepEqual(ticks(rct, 'x'), eight, 'an 8×8 DCT map: indices 0 … 7, each labelled');
  assert.deepEqual(ticks(rct, 'y'), eight);
  assert.equal(text(rct.querySelector('svg.heatmap-axis-x .axis-label')), 'horizontal DCT frequency index (low → high)');
  assert.equal(text(rct.querySelector('svg.colour-legend .legend-title')), 'mean RCT (relative change, no unit)');
  const spectrum = doc.querySelector('canvas[data-testid="perturbation-spectrum"]')!.closest('figure')!;
  assert.deepEqual(ticks(spectrum, 'x'), ['−4', '−3', '−2', '−1', '0', '1', '2', '3'], 'an 8-point centred DFT axis: −4 … 3');
  assert.equal(text(spectrum.querySelector('svg.heatmap-axis-y .axis-label')), 'vertical frequency k_y (cycles per image)');
  assert.equal(text(spectrum.querySelector('svg.colour-legend .legend-title')), 'mean |F(δ)| (pixel-value units)');
  assert.match(text(spectrum.querySelector('figcaption')), /DC \(k = 0, 0\) at the centre/);
  for (const fig of figures)
    assert.equal(fig.querySelectorAll('.heatmap-frame > svg.colour-legend').length, 1, 'every heatmap has its colour bar');
});

test('Explain Image Frequencies opens on its one image: the original beside the ablated previews, with prediction and confidence', () => {
  const { doc } = mount(initMessage({ report: explainReport() }));
  assert.equal(doc.getElementById('of-view'), null, 'no view picker: mean and class average would be the same image');
  assert.equal(
    text(doc.querySelector('[data-testid="of-image"]')),
    'One image explained: /ws/images/sneaker/0003.png, label sneaker, predicted sneaker (confidence 97.3%).',
  );
  assert.equal(text(doc.querySelector('#of-chart figcaption .chart-title')), 'Occluded Frequency: image 0003.png');
  const of = doc.querySelector('svg[data-testid="of-chart"]')!;
  assert.equal(of.querySelectorAll('.series rect.bar').length, 8);
  assert.equal(of.querySelectorAll('g.plot > g.reference line').length, 0, 'no "dataset mean" ticks repeating the bars');
  const figures = [...doc.querySelectorAll('[data-testid="of-previews"] figure')];
  assert.deepEqual(
    figures.map((f) => f.getAttribute('class')),
    ['preview original', 'preview ablated', 'preview ablated', 'preview ablated'],
  );
  const base = 'https://file+.vscode-resource.vscode-cdn.net/ws/.robustness/runs/20261122-045359-fashion-resnet/';
  assert.equal(figures[0].querySelector('img')!.getAttribute('src'), `${base}occluded-frequency/image-0-original.png`);
  assert.equal(text(figures[0].querySelector('[data-testid="of-prediction"]')), 'predicted sneaker, 97.3%');
  assert.equal(text(figures[1].querySelector('figcaption')), 'band 0 ablated (score 7.5)');
  assert.match(text(doc.querySelector('#of-chart figcaption')), /predicted sneaker \(confidence 97\.3%\)/);
  assert.equal(explainedImageSummary(explainReport()), '/ws/images/sneaker/0003.png, label sneaker, predicted sneaker (confidence 97.3%)');
  assert.equal(explainedImageSummary(fixtureReport()), null, 'an analyse run is not an explained image');
});

test('an explain report from before the original and confidence were saved still renders its previews, on the image view', () => {
  const report = explainReport();
  const img = (report.sections.occludedFrequency as OccludedFrequencySection).models[0].images[0];
  delete img.original;
  delete img.confidence;
  delete img.file;
  img.label = -1;
  const { doc } = mount(initMessage({ report }));
  assert.equal(text(doc.querySelector('[data-testid="of-image"]')), 'One image explained: 0003.png, predicted sneaker.');
  assert.deepEqual(
    [...doc.querySelectorAll('[data-testid="of-previews"] figure')].map((f) => f.getAttribute('class')),
    ['preview ablated', 'preview ablated', 'preview ablated'],
  );
  assert.doesNotMatch(text(doc.querySelector('#of-chart figcaption')), /class -1/, 'an unknown label is said as such');
});

test('a certification section: summary per σ, the certified-accuracy curve per σ and the per-image table (packed arrays too)', async () => {
  const { certifiedAccuracyAt, radiusGrid } = await import('../../src/protocol/certification');
  const N = 70; // above PACKED_ARRAY_MIN: the host packs the per-image columns
  const radii = radiusGrid([0.25, 0.5]);
  const runOf = (sigma: number) => {
    const radius = Array.from({ length: N }, (_, i) => (i % 7 === 0 ? null : ((i % 5) + 1) * 0.1 * sigma * 4));
    const prediction = radius.map((r, i) => (r === null ? null : i % 10));
    const correct = prediction.map((p, i) => p === i % 10 && i % 3 !== 0);
    const base = { radius, correct };
    return {
      sigma,
      prediction,
      nA: radius.map(() => 900),
      pALower: radius.map((r) => (r === null ? 0.4 : 0.9)),
      radius,
      correct,
      seconds: radius.map(() => 0.1),
      certifiedAccuracy: radii.map((r) => certifiedAccuracyAt(base, r)),
      abstentionRate: radius.filter((r) => r === null).length / N,
      seed: 86028121,
      totalSeconds: 7,
    };
  };
  const report = fixtureReport();
  report.sections = {
    certification: {
      kind: 'certification',
      params: {
        preset: 'fast',
        n0: 100,
        n: 1000,
        alpha: 0.001,
        sigmas: [0.25, 0.5],
        noiseSpace: 'pixels',
        noiseNote: 'noise on pixels',
        samplesPerCall: 1000,
      },
      images: { file: Array.from({ length: N }, (_, i) => `${i % 10}/img${i}.png`), label: Array.from({ length: N }, (_, i) => i % 10) },
      radii,
      runs: [runOf(0.25), runOf(0.5)],
    },
  };
  const packedInit = packNumericArrays(initMessage({ report }));
  const packedRun = (packedInit.report!.sections.certification as { runs: { pALower: unknown }[] }).runs[0];
  assert.ok(packedRun.pALower instanceof Float64Array, 'pA_lower was packed');
  const packed = mount();
  packed.app.handle(packedInit);
  for (const r of [mount(initMessage({ report })).root, packed.root]) {
    const panel = r.querySelector('#panel-certification')!;
    assert.ok(panel, 'the certification panel is shown');
    assert.equal(panel.querySelector('.section-error'), null, text(panel.querySelector('.section-error')));
    const rows = [...panel.querySelectorAll('table[data-testid="certification-summary"] tbody tr')];
    assert.deepEqual(
      rows.map((row) => row.getAttribute('data-sigma')),
      ['0.25', '0.5'],
    );
    const expected = report.sections.certification as { runs: ReturnType<typeof runOf>[] };
    assert.equal(cells(rows[0])[2], `${(100 * certifiedAccuracyAt(expected.runs[0], 0.25)).toFixed(1)}%`);
    const svg = panel.querySelector('svg[data-testid="certified-accuracy"]')!;
    assert.ok(svg, 'the curve is drawn');
    assert.doesNotMatch(svg.outerHTML, /NaN/);
    assert.equal(panel.querySelectorAll('table[data-testid="certification-images"] tbody tr').length, N);
    assert.equal(cells(panel.querySelector('table[data-testid="certification-images"] tbody tr')!)[2], 'abstain');
    assert.match(text(r.querySelector('.summary-clean')), /Top-1\s*not measured: certification classifies noisy copies only/);
  }
});

test('a certification section with the empirical attack: a table per σ and radius, crosses on the chart, malformed rows refused', async () => {
  const { certifiedAccuracyAt, radiusGrid } = await import('../../src/protocol/certification');
  const N = 4;
  const radii = radiusGrid([0.25]);
  const radius = [0.6, 0.3, null, 0.1];
  const correct = [true, true, false, true];
  const robust = [
    [true, true, false, true],
    [true, false, false, false],
  ];
  const rowOf = (r: number, k: number) => ({
    radius: r,
    attacked: N,
    robust: robust[k],
    prediction: robust[k].map((b, i) => (b ? i % 2 : null)),
    empiricalAccuracy: robust[k].filter(Boolean).length / N,
    certifiedAccuracy: certifiedAccuracyAt({ radius, correct }, r),
    contradictions: 0,
    certifiedAbstained: 0,
  });
  const section = {
    kind: 'certification',
    params: { preset: 'fast', n0: 10, n: 100, alpha: 0.001, sigmas: [0.25], noiseSpace: 'pixels', noiseNote: 'noise', samplesPerCall: 100 },
    images: { file: ['a.png', 'b.png', 'c.png', 'd.png'], label: [0, 1, 0, 1] },
    radii,
    runs: [
      {
        sigma: 0.25,
        prediction: [0, 1, null, 1],
        nA: [90, 80, 40, 60],
        pALower: [0.9, 0.8, 0.4, 0.6],
        radius,
        correct,
        seconds: [1, 1, 1, 1],
        certifiedAccuracy: radii.map((r) => certifiedAccuracyAt({ radius, correct }, r)),
        abstentionRate: 0.25,
        seed: 1,
        totalSeconds: 4,
        empirical: { rows: [rowOf(0.25, 0), rowOf(0.55, 1)], seconds: 12, gradientPasses: 3520, forwardPasses: 1200, seed: 2 },
      },
    ],
    attack: {
      attacks: ['APGD-CE', 'APGD-DLR'],
      norm: 'l2',
      radii: [0.25, 0.55],
      steps: 10,
      restarts: 1,
      eotDraws: 20,
      gradient: 'analytic',
      note: 'the attack',
    },
  };
  const report = fixtureReport();
  report.sections = { certification: section };
  const panel = mount(initMessage({ report })).root.querySelector('#panel-certification')!;
  assert.equal(panel.querySelector('.section-error'), null, text(panel.querySelector('.section-error')));
  const rows = [...panel.querySelectorAll('table[data-testid="certification-empirical"] tbody tr')];
  assert.deepEqual(
    rows.map((r) => cells(r).slice(0, 5)),
    [
      ['0.25', '0.25', `${(100 * certifiedAccuracyAt({ radius, correct }, 0.25)).toFixed(1)}%`, '75.0%', '4'],
      ['0.25', '0.55', `${(100 * certifiedAccuracyAt({ radius, correct }, 0.55)).toFixed(1)}%`, '25.0%', '4'],
    ],
  );
  const svg = panel.querySelector('svg[data-testid="certified-accuracy"]')!;
  const markers = svg.querySelectorAll('g.series.markers .point');
  assert.equal(markers.length, 2, 'one cross per empirical radius');
  assert.match(text(svg.querySelector('.legend')), /empirical robust accuracy \(APGD rand, upper bound\), σ = 0\.25/);
  assert.equal(svg.querySelector('g.series.markers .line'), null, 'the empirical points are not joined by a line');

  const broken = structuredClone(section);
  broken.runs[0].empirical.rows[0].empiricalAccuracy = 1;
  const bad = fixtureReport();
  bad.sections = { certification: broken };
  const badPanel = mount(initMessage({ report: bad })).root.querySelector('#panel-certification')!;
  assert.match(text(badPanel.querySelector('[data-testid="certification-empirical-invalid"]')), /not the share of robust images/);
  assert.equal(badPanel.querySelectorAll('svg[data-testid="certified-accuracy"] g.series.markers').length, 0);
});

test('a fourier-heatmap section: one heatmap per model beside the RCT maps, centred axes in cycles per image (a coarse grid too), partial cells dark', async () => {
  const { frequencyGrid, distinctCells, mapSummary } = await import('../../src/engine/spectral/fourierHeatmap');
  const grid = frequencyGrid(56, 56, 16); // stride 4: −28 … 24 in steps of 4
  assert.equal(grid.stride, 4);
  const cellsOf = distinctCells(grid, 56, 56);
  const size = grid.fy.length * grid.fx.length;
  const errorRate: (number | null)[] = new Array<number | null>(size).fill(null);
  cellsOf.slice(0, 40).forEach((c, i) => {
    errorRate[c.index] = errorRate[c.mirror] = (i % 10) / 10;
  });
  const report = fixtureReport();
  report.sections = {
    fourierHeatmap: {
      kind: 'fourier-heatmap',
      definition: 'Fourier heat map (test).',
      params: {
        epsilon: 7,
        epsilonSource: 'default',
        epsilonNote: 'the default',
        height: 56,
        width: 56,
        channels: 1,
        stride: grid.stride,
        maxSide: 16,
        cellsDone: 40,
        cellsTotal: cellsOf.length,
        images: 32,
        passesPerModel: cellsOf.length * 32,
        seed: 122949829,
      },
      fy: grid.fy,
      fx: grid.fx,
      maps: [
        { model: 'model', label: 'model', cutoff: null, cleanError: 0.05, errorRate, ...mapSummary(errorRate, grid), seconds: 1 },
        {
          model: 'low-pass',
          label: 'low-pass, cutoff 8',
          cutoff: 8,
          cleanError: 0.1,
          errorRate,
          ...mapSummary(errorRate, grid),
          seconds: 1,
        },
      ],
    },
  };
  const { root } = mount(initMessage({ report }));
  const panel = root.querySelector('#panel-fourier-heatmap')!;
  assert.ok(panel, 'the Fourier heat map panel is shown');
  assert.equal(panel.querySelector('.section-error'), null, text(panel.querySelector('.section-error')));
  assert.equal(panel.querySelectorAll('canvas[data-testid="fourier-heatmap"]').length, 2);
  assert.match(
    text(panel.querySelector('[data-testid="fourier-params"]')),
    /every 4th frequency on each axis \(14×14 cells.*Interrupted: 40 of/,
  );
  const captions = [...panel.querySelectorAll('figcaption')].map(text);
  assert.match(captions[0], /Clean error 5\.0%; mean error over the map/);
  assert.match(captions[1], /Clean error 10\.0%/);
  // the x axis' tick labels are frequencies in cycles per image, multiples of the stride, DC among them
  const labels = [...panel.querySelectorAll('svg.heatmap-axis-x .tick text')].map(text).filter((t) => t !== '');
  assert.ok(labels.includes('0'), labels.join(' '));
  for (const l of labels) assert.equal(Math.abs(Number(l.replace('−', '-'))) % 4, 0, l);
  // in reading order right after the RCT maps' place
  const order = [...root.querySelectorAll('section[id^="panel-"]')].map((s) => s.id);
  assert.ok(order.includes('panel-fourier-heatmap'));
  // the summary card's clean accuracy comes from the heat map's unperturbed pass (1 − clean error), not "—"
  assert.match(text(root.querySelector('.summary-clean')), /Top-1\s*95\.0% \(30\/32, the heat map's unperturbed pass\)/);
});

test('an inversion section: one |DCT(x_r − x₀)| map per model side by side, the shares table with the reference row, x / x₀ / x_r examples', () => {
  const map = (peak: number) => ({ height: 8, width: 8, values: Array.from({ length: 64 }, (_, i) => (i === peak ? 1 : 0.01)) });
  const model = (path: string, low: number, examples: boolean) => ({
    model: path,
    layer: 'fc1_out',
    layerSource: 'default' as const,
    representationSize: 64,
    cleanAccuracy: 0.95,
    startRelativeError: 0.9,
    relativeError: { mean: 0.03, median: 0.02, max: 0.07 },
    trace: [10, 1, 0.1],
    stepsRun: 2,
    meanChange: 5,
    meanDistance: 9,
    map: map(low > 0.5 ? 0 : 63),
    shares: { low, mid: 0.2, high: 0.8 - low },
    referenceShares: { low: 0.4, mid: 0.4, high: 0.2 },
    seconds: 1,
    provider: 'cpu',
    examples: examples
      ? [
          {
            relPath: '3/0001.png',
            startRelPath: '7/0002.png',
            target: 'inversion/image-0-x.png',
            start: 'inversion/image-0-x0.png',
            inverted: 'inversion/model-0-image-0-xr.png',
            relativeError: 0.02,
          },
        ]
      : [],
  });
  const report = fixtureReport();
  report.sections = {
    inversion: {
      kind: 'inversion',
      definition: 'Feature inversion (test).',
      params: {
        steps: 2,
        stepSize: 0.4,
        stepSizeSource: 'default',
        schedule: 'cosine (test)',
        images: 10,
        channels: 1,
        height: 8,
        width: 8,
        bands: { low: [0, 2], mid: [3, 4], high: [5, 7] },
        seed: 141650939,
      },
      models: [model('/m/natural.onnx', 0.1, true), model('/m/robust.onnx', 0.7, false)],
    },
  };
  const { root } = mount(initMessage({ report }));
  const panel = root.querySelector('#panel-inversion')!;
  assert.ok(panel, 'the inversion panel is shown');
  assert.equal(panel.querySelector('.section-error'), null, text(panel.querySelector('.section-error')));
  assert.equal(panel.querySelectorAll('canvas[data-testid="inversion-heatmap"]').length, 2);
  assert.match(text(panel.querySelector('[data-testid="inversion-params"]')), /Bands: low 0–2, mid 3–4, high 5–7/);
  const rows = [...panel.querySelectorAll('[data-testid="inversion-shares"] tbody tr')].map(cells);
  assert.deepEqual(
    rows.map((r) => r.slice(0, 4)),
    [
      ['x_r − x₀: natural.onnx', '10.0%', '20.0%', '70.0%'],
      ['x_r − x₀: robust.onnx', '70.0%', '20.0%', '10.0%'],
      ['x − x₀ (reference)', '40.0%', '40.0%', '20.0%'],
    ],
  );
  const examples = panel.querySelectorAll('[data-testid="inversion-examples"]');
  assert.equal(examples.length, 1, 'only the model with examples shows them');
  assert.deepEqual([...examples[0].querySelectorAll('figcaption')].map(text), ['x: 3/0001.png', 'x₀: 7/0002.png', 'x_r (rel. error 0.02)']);
  // The card: each model's clean accuracy; the headline: each model's shares beside the image's own.
  assert.match(text(root.querySelector('.summary-clean')), /Top-1 \(natural\.onnx\)\s*95\.0%.*Top-1 \(robust\.onnx\)/);
  assert.match(
    text(root.querySelector('[data-testid="verdict"]')),
    /Feature inversion of \/m\/robust\.onnx: the change that matches its features \(x_r − x₀\) holds 70\.0% \/ 20\.0% \/ 10\.0% of its \|DCT\| at low \/ mid \/ high frequencies, against 40\.0% \/ 40\.0% \/ 20\.0%/,
  );
});

test('a flags section: each fired flag with its explanation and evidence after the defences, a warning in the verdict; none fired, one line', async () => {
  const { maskingFlags } = await import('../../src/engine/eval/maskingFlags');
  const flags = maskingFlags({
    defences: DEFENCES,
    repeatability: [
      { model: 'model', images: 8, differing: 0, top1Changed: 0, maxAbsDiff: 0 },
      { model: 'post-averaging', images: 8, differing: 6, top1Changed: 0, maxAbsDiff: 0.002 },
    ],
  });
  // The fixture's post-averaging row falls from 71.4 % to 18.4 % under EOT-PGD: a collapse, beside the randomness.
  assert.deepEqual(
    flags.flags.map((f) => f.id),
    ['randomized-outputs', 'adaptive-collapse'],
  );
  const report = fixtureReport();
  report.sections = { ...report.sections, flags };
  const { doc } = mount(initMessage({ report }));
  const panel = doc.querySelector('#panel-flags')!;
  assert.ok(panel, 'the flags panel is shown');
  const items = [...panel.querySelectorAll('li[data-flag]')];
  assert.deepEqual(
    items.map((li) => li.getAttribute('data-flag')),
    ['randomized-outputs', 'adaptive-collapse'],
  );
  for (const [i, f] of flags.flags.entries()) {
    assert.ok(text(items[i]).includes(f.explanation), 'its one-line explanation');
    assert.equal(text(items[i].querySelector('.flag-evidence')), `Evidence: ${f.summary}`);
  }
  const order = [...doc.querySelectorAll('[id^="panel-"]:not([id$="-title"])')].map((p) => p.id);
  assert.ok(order.indexOf('panel-flags') === order.indexOf('panel-defences') + 1, `after the defences: ${order.join(', ')}`);
  const warning = doc.querySelector('[data-testid="verdict"] [data-key="flags"]');
  assert.match(text(warning), /^Warning: possible gradient masking — Randomized outputs \(post-averaging\)/);

  const quiet = report;
  quiet.sections = { ...report.sections, flags: { ...flags, flags: [] } };
  const q = mount(initMessage({ report: quiet })).doc;
  assert.equal(
    text(q.querySelector('#panel-flags [data-testid="flags-none"]')),
    `No gradient-masking flag fired (${flags.checked.length} checks ran).`,
  );
  assert.equal(q.querySelector('[data-testid="verdict"] [data-key="flags"]'), null);
});

test('a checkpoints section: accuracy and τ line charts over the checkpoints in training order, their data tables, the failed ones with why; τ left out when not measured', async () => {
  const { exportHistorySection } = await import('../../src/host/quickChecks');
  const attack = (label: string, robustTop1: number, tau: number | null) => ({
    label,
    attack: label.startsWith('FGM') ? 'fgm' : 'pgd',
    robustTop1,
    attackedImages: 30,
    successRate: 0.5,
    lowFrequencyRatio: tau,
    perturbations: 30,
  });
  const entry = (name: string, clean: number | null, fgm = 0, pgd = 0, tauF = 0, tauP = 0) => ({
    name,
    path: `/w/ckpt/${name}`,
    number: Number(/\d+/.exec(name)![0]),
    modified: '2026-12-06T10:00:00.000Z',
    sha256: clean === null ? null : 'ab'.repeat(32),
    status: clean === null ? ('failed' as const) : ('done' as const),
    error: clean === null ? 'not an ONNX model: the protobuf is truncated' : null,
    source: clean === null ? null : ('computed' as const),
    result:
      clean === null
        ? null
        : {
            images: 40,
            cleanTop1: clean,
            attacks: [attack('FGM L2 ε=1', fgm, tauF), attack('PGD-10 L2 ε=1', pgd, tauP)],
            imagesLowFrequencyRatio: 0.874,
            seconds: 0.3,
          },
  });
  const report = fixtureReport();
  report.command = 'checkpoints';
  report.runtime = null; // the job's report: each checkpoint had its own session
  report.sections = {
    checkpoints: {
      kind: 'checkpoints',
      definition: 'τ definition (test).',
      folder: '/w/ckpt',
      order: 'number-in-name',
      orderNote: 'by the number in each file name',
      params: {
        norm: 'l2',
        epsilon: 1,
        pgdSteps: 10,
        pgdAlpha: 0.25,
        cutoff: 4,
        seed: 0,
        cacheDir: '/w/ckpt/.robustness/checkpoint-cache',
      },
      entries: [
        entry('ckpt-1.onnx', 0.375, 0.15, 0.1, 0.34, 0.388),
        entry('ckpt-2.onnx', null),
        entry('ckpt-4.onnx', 0.975, 0.5, 0.25, 0.788, 0.786),
      ],
      done: 3,
      total: 3,
    },
  };
  const { root } = mount(initMessage({ report }));
  const panel = root.querySelector('#panel-checkpoints')!;
  assert.ok(panel, 'the checkpoints panel is shown');
  assert.equal(panel.querySelector('.section-error'), null, text(panel.querySelector('.section-error')));
  assert.match(
    text(panel.querySelector('[data-testid="checkpoints-params"]')),
    /3 of 3 checkpoints of \/w\/ckpt, ordered by the number in each file name; L2 ε = .*computed 2, from the cache 0, not analysed 1/,
  );
  const accuracy = panel.querySelector('svg[data-testid="checkpoints-accuracy"]')!;
  const tau = panel.querySelector('svg[data-testid="checkpoints-tau"]')!;
  assert.ok(accuracy && tau);
  // The x ticks are the checkpoints' names, in training order.
  const ticks = [...accuracy.querySelectorAll('.tick text')].map(text).filter((t) => t.endsWith('.onnx'));
  assert.deepEqual(ticks, ['ckpt-1.onnx', 'ckpt-2.onnx', 'ckpt-4.onnx']);
  // The screen-reader tables: one row per checkpoint, a gap (—) for the failed one.
  const [accTable, tauTable] = [...panel.querySelectorAll('table.chart-data')];
  const accRows = [...accTable.querySelectorAll('tbody tr')].map(cells);
  assert.deepEqual(accRows, [
    ['ckpt-1.onnx', '37.5%', '15.0%', '10.0%'],
    ['ckpt-2.onnx', '—', '—', '—'],
    ['ckpt-4.onnx', '97.5%', '50.0%', '25.0%'],
  ]);
  assert.deepEqual([...tauTable.querySelectorAll('thead th')].map(text), [
    'checkpoint',
    'τ(δ): FGM L2 ε=1',
    'τ(δ): PGD-10 L2 ε=1',
    'τ(x): clean images',
  ]);
  assert.deepEqual(cells(tauTable.querySelector('tbody tr')!), ['ckpt-1.onnx', '0.340', '0.388', '0.874']);
  assert.match(text(panel.querySelector('[data-testid="checkpoints-failed"]')), /ckpt-2\.onnx: not analysed — not an ONNX model/);
  // The card's clean accuracy is the newest checkpoint analysed's (ckpt-2 failed: ckpt-4).
  assert.match(text(root.querySelector('.summary-clean')), /Top-1\s*97\.5% \(39\/40, ckpt-4\.onnx\)/);
  // Its headline: the first and the last checkpoint analysed.
  assert.match(
    text(root),
    /Along training, 2 of 3 checkpoints analysed: first ckpt-1\.onnx: clean 37\.5%, robust 10\.0% \(PGD-10 L2 ε=1\); last ckpt-4\.onnx: clean 97\.5%, robust 25\.0%/,
  );

  // The Quick Attack Check's history over exports: the same panel, without τ.
  const history = fixtureReport();
  history.sections = {
    ...history.sections,
    exportHistory: exportHistorySection(
      [
        {
          model: '/w/net.onnx',
          sha256: 'aaaa1111',
          at: '2026-12-01T10:00:00Z',
          robustTop1: 0.2,
          cleanTop1: 0.5,
          attack: 'PGD',
          images: 64,
          runId: 'r1',
          status: 'complete',
        },
        {
          model: '/w/net.onnx',
          sha256: 'bbbb2222',
          at: '2026-12-02T10:00:00Z',
          robustTop1: 0.3,
          cleanTop1: 0.7,
          attack: 'PGD',
          images: 64,
          runId: 'r2',
          status: 'complete',
        },
      ],
      '/w/net.onnx',
    ),
  };
  const h = mount(initMessage({ report: history })).root.querySelector('#panel-checkpoints')!;
  assert.ok(h.querySelector('svg[data-testid="checkpoints-accuracy"]'));
  assert.equal(h.querySelector('svg[data-testid="checkpoints-tau"]'), null);
  assert.ok(h.querySelector('[data-testid="checkpoints-no-tau"]'));
  assert.match(text(h.querySelector('[data-testid="checkpoints-params"]')), /from the Quick Attack Check history/);
});
