import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelApp } from '../../webview/src/app';
import { ENSEMBLE_PAGE_ROWS } from '../../webview/src/render/ensembleTable';
import { summariseEnsemble, type EnsembleImage } from '../../src/engine/attacks/ensemble';
import { ATTACKS, CLASS_NAMES, fixtureReport, initMessage } from './fixtures';
import { click, createDom } from './dom';

const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
const cells = (row: Element) => [...row.children].map((c) => text(c));

const LABELS = ['APGD-CE-100 L∞ ε=8/255 (0.0314)', 'APGD-T-100 L∞ ε=8/255 (0.0314)', 'Square L∞ ε=8/255 (0.0314)'];

/** 120 images: every 10th wrong on the clean image; the rest broken by attack (k mod 4) — 3 meaning none (robust). */
function images(cancelledFrom: number | null = null): EnsembleImage[] {
  return Array.from({ length: 120 }, (_, k) => {
    const cleanCorrect = k % 10 !== 0;
    const by = k % 4 === 3 ? null : k % 4;
    const cancelled = cancelledFrom !== null && k >= cancelledFrom;
    return {
      relPath: `img/${String(k).padStart(3, '0')}.png`,
      label: k % 10,
      cleanCorrect,
      brokenBy: cleanCorrect && !(cancelled && by === 2) ? by : null,
      attacksRun: cleanCorrect ? (cancelled ? 2 : by === null ? 3 : by + 1) : 0,
    };
  });
}

function mount(ensembleImages: EnsembleImage[]) {
  const ensemble = summariseEnsemble(
    { version: 'standard', norm: 'linf', eps: 8 / 255, labels: LABELS, seconds: [1.5, 3, 7.25] },
    ensembleImages,
  );
  const report = fixtureReport();
  report.command = 'attack';
  report.sections = { attacks: { ...ATTACKS, ensemble } };
  const dom = createDom();
  const root = dom.window.document.getElementById('app')!;
  new PanelApp(root, {
    post: () => undefined,
    rasterizer: { svgToPng: async () => '', canvasToPng: () => '' },
    persist: () => undefined,
  }).handle(initMessage({ report }));
  return { doc: dom.window.document, ensemble };
}

test('the ensemble table: per attack what it ran on, broke and the robust accuracy after it, then the ensemble', () => {
  const { doc } = mount(images());
  // Counted here from the per-image records, independently of summariseEnsemble: 108 correct clean images.
  const all = images();
  const correct = all.filter((m) => m.cleanCorrect);
  const brokeBy = (a: number) => correct.filter((m) => m.brokenBy === a).length;
  const robust = correct.filter((m) => m.brokenBy === null).length;
  const rows = [...doc.querySelectorAll('table[data-testid="ensemble-table"] tbody tr')].map(cells);
  let left = correct.length;
  const expected = LABELS.map((label, a) => {
    const ranOn = left;
    left -= brokeBy(a);
    return [label, String(ranOn), String(brokeBy(a)), String(left), `${((100 * left) / 120).toFixed(1)}%`];
  });
  assert.deepEqual(
    rows.slice(0, 3).map((r) => r.slice(0, 5)),
    expected,
  );
  assert.equal(left, robust);
  assert.deepEqual(rows[3].slice(0, 5), [
    'Ensemble',
    String(correct.length),
    String(correct.length - robust),
    String(robust),
    `${((100 * robust) / 120).toFixed(1)}%`,
  ]);
  assert.equal(rows[3][5], '11.8 s');
  assert.match(
    text(doc.querySelector('[data-testid="ensemble-robust"]')),
    new RegExp(`AutoAttack \\(standard\\), .*robust accuracy ${((100 * robust) / 120).toFixed(1)}% \\(${robust} of 120 images`),
  );
  assert.match(text(doc.querySelector('[data-testid="ensemble"] ul.notes')), /in analyse, `--adaptive autoattack` runs this ensemble/);
});

test('per image: which attack broke it, filtered by outcome and paged', () => {
  const { doc } = mount(images());
  const list = doc.querySelector('[data-testid="ensemble-images"]')!;
  const rows = () => [...list.querySelectorAll('tbody tr')];
  assert.equal(rows().length, ENSEMBLE_PAGE_ROWS);
  // img/001: k=1, correct, broken by attack 1 (APGD-T); img/000: wrong on the clean image; img/003: robust.
  const row = (path: string) => cells(list.querySelector(`tr[data-image="${path}"]`)!);
  assert.deepEqual(row('img/001.png'), ['img/001.png', CLASS_NAMES[1], 'APGD-T-100 L∞ ε=8/255 (0.0314)']);
  assert.deepEqual(row('img/000.png')[2], 'not attacked (wrong on the clean image)');
  assert.deepEqual(row('img/003.png')[2], 'robust');
  const show = list.querySelector<HTMLSelectElement>('[data-testid="ensemble-show"]')!;
  show.value = 'broken:2';
  show.dispatchEvent(new show.ownerDocument.defaultView!.Event('change'));
  const square = images()
    .filter((m) => m.brokenBy === 2)
    .map((m) => m.relPath);
  assert.deepEqual(
    rows().map((r) => r.getAttribute('data-image')),
    square,
  );
  show.value = 'all';
  show.dispatchEvent(new show.ownerDocument.defaultView!.Event('change'));
  click(list.querySelector('[data-testid="ensemble-next"]')!);
  assert.equal(rows()[0].getAttribute('data-image'), `img/0${ENSEMBLE_PAGE_ROWS}.png`);
  assert.match(text(list.querySelector('.per-image-pager')), /page 2 of 3 \(120 images\)/);
});

test('a cancelled cascade: the unfinished attack is marked, robust is an upper bound, unfinished images say so', () => {
  const { doc, ensemble } = mount(images(60));
  assert.equal(ensemble.complete, false);
  const rows = [...doc.querySelectorAll('table[data-testid="ensemble-table"] tbody tr')].map(cells);
  assert.match(rows[2][0], /Square .*\(cancelled\)/);
  assert.doesNotMatch(rows[1][0], /cancelled/);
  assert.match(text(doc.querySelector('[data-testid="ensemble-robust"]')), /an upper bound/);
  const list = doc.querySelector('[data-testid="ensemble-images"]')!;
  // img/061: k=61, broken by attack 1 before the cancel; img/063: robust so far, Square never ran on it.
  click(list.querySelector('[data-testid="ensemble-next"]')!);
  assert.match(text(list.querySelector('tr[data-image="img/063.png"]')), /robust so far \(2 of 3 attacks ran: cancelled\)/);
  assert.match(text(list.querySelector('tr[data-image="img/061.png"]')), /APGD-T/);
});

test('a report without an ensemble has no ensemble table', () => {
  const dom = createDom();
  const root = dom.window.document.getElementById('app')!;
  new PanelApp(root, {
    post: () => undefined,
    rasterizer: { svgToPng: async () => '', canvasToPng: () => '' },
    persist: () => undefined,
  }).handle(initMessage());
  assert.equal(dom.window.document.querySelector('[data-testid="ensemble"]'), null);
});
