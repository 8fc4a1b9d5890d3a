/**
 * The panel opens with the verdict: its headline is the first thing in each summary card, its figures are
 * the tables' figures (one computation), definitions are one sentence each, seeds and formulas are folded,
 * modes are words, and the preprocessing, class order and dataset are shown with where they came from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelApp } from '../../webview/src/app';
import type { InitMessage } from '../../src/protocol/webviewMessages';
import type { ReportV1 } from '../../src/engine/report/schema';
import { ATTACKS, fixtureReport, initMessage } from './fixtures';
import { createDom } from './dom';

function mount(init: InitMessage) {
  const dom = createDom();
  const doc = dom.window.document;
  const root = doc.getElementById('app')!;
  const app = new PanelApp(root, {
    post: () => undefined,
    rasterizer: { svgToPng: async () => '', canvasToPng: () => '' },
    persist: () => undefined,
  });
  app.handle(init);
  return { doc, root, app };
}

const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

/** The text a reader sees without opening anything: no closed <details> content, no data attributes. */
function visibleText(el: Element): string {
  const clone = el.cloneNode(true) as Element;
  for (const d of clone.querySelectorAll('details:not([open])')) {
    for (const child of [...d.childNodes]) if ((child as Element).tagName !== 'SUMMARY') child.remove();
  }
  for (const d of clone.querySelectorAll('.chart-data')) d.remove();
  return text(clone);
}

test('the headline is the first thing in the summary card: clean, then robust accuracy in plain language', () => {
  const { doc } = mount(initMessage());
  const card = doc.querySelector('[data-testid="summary"] .summary-card')!;
  const [header, first] = [...card.children];
  assert.ok(header.matches('header.summary-header'));
  assert.ok(
    first.matches('section.verdict[data-testid="verdict"]'),
    `the verdict follows the header, got ${first.tagName}.${first.className}`,
  );
  const lead = first.querySelector('p.verdict-lead')!;
  assert.match(
    text(lead),
    /^Clean accuracy 92\.0% top-1: 92 of 100 images classified correctly \(chance level for 10 classes: 10\.0%\)\. Robust accuracy 43\.0% under FGSM ε=8\/255 \(0\.0314\) \(fixed ε\)/,
  );
  // Everything else of the summary (model, data, run) comes after it, and the panels after the summary.
  const summary = doc.querySelector('[data-testid="summary"]')!;
  const panels = doc.querySelector('#panel-attacks')!;
  assert.ok(summary.compareDocumentPosition(panels) & summary.ownerDocument.defaultView!.Node.DOCUMENT_POSITION_FOLLOWING);
  const items = [...first.querySelectorAll('ul.verdict-more > li')].map((li) => li.getAttribute('data-key'));
  assert.deepEqual(items, ['others', 'defence', 'defence', 'band']);
  assert.match(text(first.querySelector('li[data-key="band"]')), /band 0 of 0–7 \(low → high: the lowest frequencies\)/);
});

test("the headline's robust accuracy and defence rates are the tables' own figures (one computation, shown alike)", () => {
  const { doc } = mount(initMessage());
  const marked = doc.querySelectorAll('table[data-testid="attack-table"] tr[data-verdict="robust"]');
  assert.equal(marked.length, 1, 'one row marked as the verdict’s');
  const row = marked[0];
  assert.equal(row.getAttribute('data-mode'), 'fixed-eps');
  const attackedTop1 = text(row.children[5]);
  assert.equal(attackedTop1, '43.0%');
  assert.ok(text(doc.querySelector('.verdict-robust')).includes(`Robust accuracy ${attackedTop1} under`));
  // SimBA (12.0%) and minimal-ε PGD (2.0%) break more images but are never the headline.
  assert.ok(!text(doc.querySelector('.verdict-lead')).includes('12.0%'));
  const rate = text(
    doc.querySelector('table[data-testid="defence-table"] tbody[data-defence="post-averaging"] tr[data-attack] .rate-pair'),
  );
  assert.equal(rate, '71.4% / 18.4%');
  const defence = text(doc.querySelector('.verdict li[data-key="defence"]'));
  assert.ok(
    defence.includes('71.4% of the 49 adversarial examples') &&
      defence.includes('leaves 18.4% classified correctly on the same 49 examples'),
    defence,
  );
});

test('definitions are one sentence each, only for what the run holds; seeds and formulas are folded in a closed <details>', () => {
  const { doc } = mount(initMessage());
  const terms = [...doc.querySelectorAll('.verdict dl.definitions dt')].map((d) => text(d));
  assert.deepEqual(terms, [
    'Robust accuracy',
    'Fixed ε',
    'Minimal ε',
    'Minimal perturbation',
    'Query-limited',
    'Defence rate',
    'Adaptive attack',
    'Occluded Frequency (OF)',
    'RCT',
    'Perturbation spectrum',
  ]);
  for (const dd of doc.querySelectorAll('.verdict dl.definitions dd')) {
    assert.equal(
      text(dd)
        .split(/[.!?](\s|$)/)
        .filter((s) => s && s.trim()).length,
      1,
      `one sentence: ${text(dd)}`,
    );
  }
  const details = doc.querySelector('details.run-details[data-testid="run-details"]') as HTMLDetailsElement;
  assert.ok(details);
  assert.equal(details.open, false, 'folded by default');
  assert.ok(text(details).includes('sampling 0, attack1 0, attack2 1000003'), 'the seeds are in it');
  assert.ok(text(details).includes('RCT = mean over successful examples'), 'the formulas are in it');
  const card = doc.querySelector('.summary-card')!;
  assert.ok(!visibleText(card).includes('1000003'), 'no seed in prime position');
  for (const d of doc.querySelectorAll('table[data-testid="defence-table"] tr.details-row details')) {
    assert.equal((d as HTMLDetailsElement).open, false);
  }
  assert.equal(
    doc.querySelectorAll('table[data-testid="defence-table"] tr.details-row').length,
    doc.querySelectorAll('table[data-testid="defence-table"] tr[data-attack]').length,
    'one details row per defence row',
  );
});

test('modes are words everywhere a reader looks, never raw ids, never said twice', () => {
  const { doc, root } = mount(initMessage());
  const seen = visibleText(root);
  for (const raw of ['fixed-eps', 'minimal-eps', 'minimal-perturbation', '(minimal ε) (minimal', 'minimal ε) minimal ε'])
    assert.ok(!seen.includes(raw), `"${raw}" is not shown`);
  const defenceCells = [...doc.querySelectorAll('table[data-testid="defence-table"] tr[data-attack] td.mode')].map((c) => text(c));
  assert.deepEqual(defenceCells, ['fixed ε', 'minimal perturbation', 'fixed ε']);
  // Table cells carry numbers: no cell of either table holds a paragraph (the longest is a minimal-ε budget).
  for (const cell of doc.querySelectorAll('table[data-testid="attack-table"] td, table[data-testid="defence-table"] tr[data-attack] td'))
    assert.ok(text(cell).length <= 60 && !/\. /.test(text(cell)), `short cell: "${text(cell)}"`);
});

test('the summary shows the preprocessing, class order and dataset actually used, with their provenance', () => {
  const report: ReportV1 = fixtureReport();
  report.config.provenance = {
    'input.layout': 'inferred',
    'input.size': 'inferred',
    'input.channels': 'inferred',
    'input.pixelScale': 'default',
    'input.mean': 'config',
    'input.std': 'config',
    'input.resize': 'default',
    classNames: 'inferred',
  };
  const { doc } = mount(initMessage({ report }));
  const data = [...doc.querySelectorAll('.summary-group')].find((g) => text(g.querySelector('h3')) === 'Data')!;
  const rows = new Map([...data.querySelectorAll('dt')].map((dt) => [text(dt), text(dt.nextElementSibling)]));
  assert.equal(rows.get('Class order'), "logits 0, 1, … in the order above (from the model's metadata)");
  assert.equal(
    rows.get('Preprocessing'),
    'input "input", NCHW, 28×28, gray (inferred from the model); pixels 0–1 (default); mean 0.287, std 0.3536 (robustness.json); resize stretched (bilinear) (default)',
  );
  assert.equal(rows.get('Configuration'), '/work/main/samples/robustness.json (hash 6e895561e0d9…)');
  assert.match(rows.get('Fingerprint')!, /^3884c168/);
  assert.equal(rows.get('Images'), '100 of 100');

  for (const [p, words] of [
    ['default', 'alphabetical folder order, as torchvision ImageFolder'],
    ['config', 'from robustness.json'],
    ['flag', 'given as a setting or flag'],
  ] as const) {
    const r = fixtureReport();
    r.config.provenance = { classNames: p };
    const m = mount(initMessage({ report: r }));
    assert.ok(text(m.doc.querySelector('.summary-card')).includes(`logits 0, 1, … in the order above (${words})`), p);
  }
  // A run that recorded how its class order was decided says that, not what the provenance key suggests.
  const r = fixtureReport();
  r.config.provenance = { classNames: 'default' };
  r.config.classOrder = {
    source: 'model-metadata',
    description: 'the model\'s metadata "names" (10 names, matched to the class folders by name)',
  };
  const m = mount(initMessage({ report: r }));
  assert.ok(
    text(m.doc.querySelector('.summary-card')).includes(
      'logits 0, 1, … in the order above (the model\'s metadata "names" (10 names, matched to the class folders by name))',
    ),
  );
});

test('compare mode: each card opens with its own verdict; an attack-only run without bounded attacks says so', () => {
  const b = fixtureReport();
  b.model.path = '/work/main/samples/other.onnx';
  b.sections = { attacks: { ...ATTACKS, runs: ATTACKS.runs.filter((r) => r.mode !== 'fixed-eps') } };
  const { doc } = mount(initMessage({ compareWith: b }));
  const cards = [...doc.querySelectorAll('.summary-card')];
  assert.equal(cards.length, 2);
  assert.ok(cards.every((c) => c.children[1].matches('section.verdict')));
  assert.match(text(cards[0].querySelector('.verdict-lead')), /Robust accuracy 43\.0%/);
  assert.match(text(cards[1].querySelector('.verdict-lead')), /No bounded white-box attack at a fixed ε was run/);
  assert.equal(doc.querySelectorAll('table[data-testid="attack-table"] tr[data-verdict="robust"]').length, 1, 'only side a has one');
});

test('a partial run says so at the start of its headline', () => {
  const report = fixtureReport();
  report.status = 'partial';
  const { doc } = mount(initMessage({ report, state: 'partial' }));
  assert.match(text(doc.querySelector('.verdict-lead')), /^Partial run: the figures cover only the images finished\. Clean accuracy/);
});
