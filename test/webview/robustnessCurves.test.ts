import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelApp } from '../../webview/src/app';
import { ATTACKS, fixtureReport, initMessage } from './fixtures';
import { createDom } from './dom';
import { derivedCurve, robustnessCurves, type MinimalImage } from '../../src/engine/attacks/robustnessCurves';
import { attackCost } from '../../src/engine/attacks/protocol';

function mount(init: ReturnType<typeof initMessage>) {
  const dom = createDom();
  const doc = dom.window.document;
  const root = doc.getElementById('app')!;
  const app = new PanelApp(root, {
    post: () => {},
    rasterizer: { svgToPng: async () => 'data:image/png;base64,', canvasToPng: () => 'data:image/png;base64,' },
    persist: () => {},
  });
  app.handle(init);
  return { doc, root };
}
const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

function section() {
  const images: MinimalImage[] = Array.from({ length: 20 }, (_, i) => ({
    correct: i % 5 !== 0,
    minimal: i % 3 === 0 ? NaN : 0.05 * (i + 1),
  }));
  const summary = (top1: number) => ({
    mode: 'fixed-eps' as const,
    attacked: { top1Correct: 0, top1Accuracy: top1, top5Correct: 0, top5Accuracy: 1 },
  });
  const s = robustnessCurves({
    criterion: 'top1',
    evaluated: 20,
    epsList: [1 / 255, 4 / 255, 8 / 255],
    derived: [],
    measured: [1, 4, 8].map((k, i) => ({
      label: 'PGD-10 L∞',
      attack: 'pgd',
      norm: 'linf' as const,
      eps: k / 255,
      summary: summary(0.8 - 0.3 * i),
    })),
  });
  // A derived L2 curve straight from per-image minimal norms.
  s.norms.push({
    norm: 'l2',
    curves: [
      {
        label: 'DeepFool L2',
        attack: 'deepfool',
        mode: 'minimal-perturbation',
        source: 'derived',
        budget: null,
        points: derivedCurve(images, [], null),
      },
    ],
  });
  return s;
}

test('robustness curves: one chart per norm with derived / measured series, exportable, its points in the data table', () => {
  const report = fixtureReport();
  const s = section();
  report.sections = { ...report.sections, robustnessCurves: s };
  const { root } = mount(initMessage({ report }));
  const panel = root.querySelector('#panel-robustness-curves')!;
  assert.ok(panel, 'the panel is shown');
  assert.equal(panel.querySelector('.section-error'), null, text(panel.querySelector('.section-error')));
  const svgs = [...panel.querySelectorAll('svg[data-testid^="robustness-curve-"]')];
  assert.deepEqual(
    svgs.map((x) => x.getAttribute('data-testid')),
    ['robustness-curve-linf', 'robustness-curve-l2'],
  );
  for (const svg of svgs) assert.doesNotMatch(svg.outerHTML, /NaN/);
  assert.match(text(svgs[0]), /PGD-10 L∞ \(measured\)/);
  assert.match(text(svgs[1]), /DeepFool L2 \(derived\)/);
  const figures = [...panel.querySelectorAll('figure')];
  for (const f of figures)
    assert.deepEqual(
      [...f.querySelectorAll('[data-export]')].map((b) => b.getAttribute('data-export')),
      ['svg', 'png', 'csv'],
    );
  // The hidden data table holds every point of the chart.
  const rows = figures[1].querySelectorAll('table tbody tr');
  assert.equal(rows.length, s.norms[1].curves[0].points.length);
});

test('the attack table shows the cost counters per image, with the totals in the tooltip; a report without them shows a dash', () => {
  const report = fixtureReport();
  const attacks = structuredClone(ATTACKS);
  attacks.runs[0].cost = attackCost({ forward: 0, gradient: 92, evaluationForward: 92 }, new Array(92).fill(1));
  delete attacks.runs[1].cost;
  report.sections = { ...report.sections, attacks };
  const { root } = mount(initMessage({ report }));
  const table = root.querySelector('table[data-testid="attack-table"]')!;
  const heads = [...table.querySelectorAll('thead th')].map((t) => text(t));
  const fwd = heads.indexOf('Forward / image'),
    grad = heads.indexOf('Gradient / image');
  assert.ok(fwd > 0 && grad === fwd + 1, heads.join('|'));
  const rows = [...table.querySelectorAll('tbody tr[data-attack]')];
  const cellsOf = (r: Element) => [...r.children];
  assert.equal(text(cellsOf(rows[0])[grad]), '1');
  assert.equal(text(cellsOf(rows[0])[fwd]), '0');
  assert.match(cellsOf(rows[0])[grad].getAttribute('title')!, /92 gradient passes on 92 images/);
  assert.equal(text(cellsOf(rows[1])[grad]), '—');
});
