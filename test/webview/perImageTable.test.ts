/**
 * The per-image table (issue #13 item 8) in the panel: filter, sort, paging, a row chosen by click or by
 * keyboard shows its detail with the run's image paths, paths that leave the run folder are refused, and
 * the perturbation's spectrum is the DFT magnitude of what its PNG holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelApp } from '../../webview/src/app';
import type { Rasterizer } from '../../webview/src/charts/exportChart';
import type { WebviewToHost } from '../../src/protocol/webviewMessages';
import type { PerImageSection } from '../../src/engine/report/sections';
import { PER_IMAGE_FILES } from '../../src/protocol/perImageFiles';
import { PAGE_ROWS } from '../../webview/src/render/perImageTable';
import { dft2, perturbationSpectrum } from '../../webview/src/render/perImageSpectrum';
import { fft2Real } from '../../src/engine/spectral/fft';
import { CLASS_NAMES, fixtureReport, initMessage } from './fixtures';
import { click, createDom, key } from './dom';

const FAKE_PNG = 'data:image/png;base64,iVBORw0KGgo=';
const fakeRasterizer: Rasterizer = { svgToPng: async () => FAKE_PNG, canvasToPng: () => FAKE_PNG };
const BASE = 'https://file+.vscode-resource.vscode-cdn.net/ws/.robustness/runs/20261122-045359-fashion-resnet';
const ROWS = 120;
const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

/**
 * 120 images: label i mod 10, misclassified when i is a multiple of 7 (then not attacked); FGSM breaks the
 * multiples of 3, DeepFool the even ones; FGSM's examples of rows below 40 are saved.
 */
function section(over: Partial<PerImageSection['examples']> = {}): PerImageSection {
  const idx = Array.from({ length: ROWS }, (_, i) => i);
  const label = idx.map((i) => i % 10);
  const wrong = (i: number) => i % 7 === 0;
  const outcome = (broken: (i: number) => boolean) => idx.map((i) => (wrong(i) ? 0 : broken(i) ? 2 : 1));
  const fgsm = outcome((i) => i % 3 === 0);
  const deepfool = outcome((i) => i % 2 === 0);
  const norm = (o: number[], scale: number) => o.map((x, i) => (x === 0 ? null : scale * (1 + (i % 13))));
  const savedRows = idx.filter((i) => fgsm[i] === 2 && i < 40);
  return {
    kind: 'per-image',
    criterion: 'top1',
    images: {
      relPath: idx.map((i) => `${CLASS_NAMES[i % 10]}/img-${i}.png`),
      label,
      prediction: idx.map((i) => (wrong(i) ? (label[i] + 1) % 10 : label[i])),
      confidence: idx.map((i) => 0.3 + ((i * 37) % 70) / 100),
    },
    attacks: [
      {
        attack: 'FGSM ε=8/255 (0.0314)',
        mode: 'fixed-eps',
        norm: 'linf',
        outcome: fgsm,
        adversarialPrediction: fgsm.map((o, i) => (o === 0 ? -1 : o === 2 ? (label[i] + 2) % 10 : label[i])),
        epsilon: null,
        l2: norm(fgsm, 0.1),
        linf: fgsm.map((o) => (o === 0 ? null : 0.0314)),
        queries: fgsm.map((o) => (o === 0 ? 0 : 1)),
        saved: { images: savedRows, amplification: savedRows.map(() => 15.9) },
      },
      {
        attack: 'DeepFool L2',
        mode: 'minimal-perturbation',
        norm: 'l2',
        outcome: deepfool,
        adversarialPrediction: deepfool.map((o, i) => (o === 0 ? -1 : o === 2 ? (label[i] + 3) % 10 : label[i])),
        epsilon: norm(deepfool, 0.05).map((v, i) => (deepfool[i] === 2 ? v : null)),
        l2: norm(deepfool, 0.05),
        linf: norm(deepfool, 0.01),
        queries: deepfool.map((o) => (o === 0 ? 0 : 7)),
        saved: { images: [], amplification: [] },
      },
    ],
    defences: [
      {
        defence: 'post-averaging',
        clean: idx.map((i) => (i % 5 === 0 ? 0 : 1)),
        cleanPrediction: idx.map((i) => (i % 5 === 0 ? (label[i] + 1) % 10 : label[i])),
        adversarial: [
          {
            attack: 'FGSM ε=8/255 (0.0314)',
            verdict: fgsm.map((o, i) => (o === 2 ? (i % 2 === 0 ? 1 : 0) : -1)),
            prediction: fgsm.map((o, i) => (o === 2 ? (i % 2 === 0 ? label[i] : (label[i] + 2) % 10) : -1)),
          },
          // As a report from before the defended classes were recorded: verdicts only.
          { attack: 'DeepFool L2', verdict: deepfool.map((o) => (o === 2 ? 1 : -1)) },
        ],
      },
    ],
    examples: {
      ...PER_IMAGE_FILES,
      perAttack: 32,
      note: 'The first 32 successful examples of each attack are saved; re-run with --examples N to save more.',
      ...over,
    },
  };
}

function mount(t: PerImageSection = section()) {
  const dom = createDom();
  const doc = dom.window.document;
  const posted: WebviewToHost[] = [];
  const app = new PanelApp(doc.getElementById('app')!, { post: (m) => posted.push(m), rasterizer: fakeRasterizer, persist: () => {} });
  const report = fixtureReport();
  report.sections.perImage = t;
  app.handle(initMessage({ report }));
  const panel = doc.getElementById('panel-per-image')!;
  const rows = () => [...panel.querySelectorAll('table[data-testid="per-image-table"] tbody tr')];
  const firstCells = () => rows().map((r) => text(r.children[0]));
  return { doc, panel, posted, rows, firstCells };
}

function choose(select: HTMLSelectElement, value: string) {
  select.value = value;
  select.dispatchEvent(new select.ownerDocument.defaultView!.Event('change', { bubbles: true }));
}

test('the table has a page of rows with every column, and pages through the rest', () => {
  const { panel, rows, firstCells } = mount();
  assert.equal(text(panel.querySelector('h2')), 'Per-image results');
  const heads = [...panel.querySelectorAll('table[data-testid="per-image-table"] thead th')].map((th) => text(th));
  assert.deepEqual(heads, ['File', 'Class', 'Clean prediction', 'Confidence', 'FGSM ε=8/255 (0.0314)', 'DeepFool L2', 'post-averaging']);
  assert.equal(rows().length, PAGE_ROWS);
  assert.equal(text(panel.querySelector('[data-testid="per-image-status"]')), `Rows 1–50 of 120`);
  // row 3: correct, FGSM broke it (→ class 5), DeepFool did not; post-averaging right on clean, wrong on the FGSM example
  const r3 = [...rows()[3].children].map((c) => text(c));
  assert.deepEqual(r3, [
    'dress/img-3.png',
    'dress',
    'dress',
    percent(0.3 + 0.41),
    'broken → sandal',
    'withstood',
    'clean ✓ · 0/1 examples',
  ]);
  // row 0 is misclassified: not attacked
  assert.deepEqual([...rows()[0].children].map((c) => text(c)).slice(2, 6), [
    'trouser ✗',
    percent(0.3),
    '— not attacked',
    '— not attacked',
  ]);
  click(panel.querySelector('button.per-image-next')!);
  click(panel.querySelector('button.per-image-next')!);
  assert.equal(text(panel.querySelector('[data-testid="per-image-status"]')), 'Rows 101–120 of 120');
  assert.equal(firstCells()[0], 't-shirt/img-100.png');
  assert.equal((panel.querySelector('button.per-image-next') as HTMLButtonElement).disabled, true);
});

function percent(v: number) {
  return `${(v * 100).toFixed(1)}%`;
}

test('filters: text on file or class, only misclassified, only broken by one attack', () => {
  const { panel, doc, rows, firstCells } = mount();
  const input = panel.querySelector('input[data-testid="per-image-filter"]') as HTMLInputElement;
  input.value = 'img-11';
  input.dispatchEvent(new doc.defaultView!.Event('input', { bubbles: true }));
  assert.deepEqual(firstCells(), ['trouser/img-11.png', ...Array.from({ length: 10 }, (_, k) => `${CLASS_NAMES[k]}/img-11${k}.png`)]);
  input.value = 'SANDAL';
  input.dispatchEvent(new doc.defaultView!.Event('input', { bubbles: true }));
  assert.equal(rows().length, 12 + 2, 'class sandal (12 images) and the two coats predicted sandal (img-14, img-84)');
  input.value = '';
  input.dispatchEvent(new doc.defaultView!.Event('input', { bubbles: true }));
  const show = panel.querySelector('select[data-testid="per-image-show"]') as HTMLSelectElement;
  choose(show, 'misclassified');
  assert.deepEqual(
    firstCells().map((p) => Number(/img-(\d+)/.exec(p)![1])),
    Array.from({ length: 18 }, (_, k) => 7 * k),
  );
  assert.equal(text(panel.querySelector('[data-testid="per-image-status"]')), 'Rows 1–18 of 18 (120 images in all)');
  choose(show, 'broken:0');
  const broken = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 3 === 0 && i % 7 !== 0);
  assert.equal(
    text(panel.querySelector('[data-testid="per-image-status"]')),
    `Rows 1–${broken.length} of ${broken.length} (120 images in all)`,
  );
  assert.deepEqual(
    firstCells().map((p) => Number(/img-(\d+)/.exec(p)![1])),
    broken,
  );
  choose(show, 'withstood');
  assert.ok(
    firstCells().every((p) => {
      const i = Number(/img-(\d+)/.exec(p)![1]);
      return i % 2 === 1 && i % 3 !== 0 && i % 7 !== 0;
    }),
  );
});

test('clicking a heading sorts by it (aria-sort), again reverses; the attack columns sort by the quantity shown', () => {
  const { panel, rows } = mount();
  const th = (id: string) => panel.querySelector(`thead th[data-column="${id}"]`)!;
  click(th('confidence').querySelector('button')!);
  assert.equal(th('confidence').getAttribute('aria-sort'), 'ascending');
  assert.equal(th('file').getAttribute('aria-sort'), null);
  const conf = () => rows().map((r) => parseFloat(text(r.children[3])));
  assert.deepEqual(
    conf(),
    [...conf()].sort((a, b) => a - b),
  );
  assert.equal(conf()[0], 30);
  click(th('confidence').querySelector('button')!);
  assert.equal(th('confidence').getAttribute('aria-sort'), 'descending');
  assert.equal(conf()[0], 99);
  // L2 in the attack columns, sorted descending: largest first, unattacked rows last.
  choose(panel.querySelector('select[data-testid="per-image-metric"]') as HTMLSelectElement, 'l2');
  click(th('attack-1').querySelector('button')!);
  click(th('attack-1').querySelector('button')!);
  const l2 = rows().map((r) => text(r.children[5]));
  assert.equal(l2[0], '0.65');
  assert.ok(
    rows().every((r) => text(r.children[5]) !== '—'),
    'no unattacked row before the attacked ones',
  );
});

test('a row chosen by click or keyboard shows its images from the run folder, its numbers and its spectrum slot', () => {
  const { panel, doc, rows, posted } = mount();
  const detail = panel.querySelector('[data-testid="per-image-detail"]')!;
  assert.match(text(detail), /Choose a row/);
  click(rows()[3]);
  assert.equal(rows()[3].getAttribute('aria-selected'), 'true');
  assert.equal(text(detail.querySelector('h3')), 'dress/img-3.png');
  assert.match(text(detail), /True class dress; clean prediction dress \(71\.0%\)\. post-averaging on the clean image: right \(dress\)\./);
  const srcs = [...detail.querySelectorAll('img')].map((i) => i.getAttribute('src'));
  assert.deepEqual(srcs, [
    `${BASE}/per-image/clean/3.png`,
    `${BASE}/per-image/attack-1/3-adversarial.png`,
    `${BASE}/per-image/attack-1/3-perturbation.png`,
  ]);
  assert.match(text(detail.querySelector('.per-image-images')), /adversarial: predicted sandal/);
  assert.match(text(detail.querySelector('.per-image-images')), /perturbation: ×15\.9 amplified/);
  assert.ok(detail.querySelector('[data-testid="per-image-spectrum"]'));
  const numbers = [...detail.querySelectorAll('[data-testid="per-image-numbers"] tbody tr')].map((r) =>
    [...r.children].map((c) => text(c)),
  );
  assert.deepEqual(numbers, [
    ['FGSM ε=8/255 (0.0314)', 'fixed ε', 'broken → sandal', '—', '0.4', '0.0314', '1', 'wrong (sandal)'],
    ['DeepFool L2', 'minimal perturbation', 'withstood', '—', '0.2', '0.04', '7', '—'],
  ]);
  click(detail.querySelector('button.artefact')!);
  assert.deepEqual(posted.at(-1), { type: 'open-artefact', relPath: 'per-image/clean/3.png' });

  // Keyboard: focus a row, Enter chooses it; the arrows move between rows.
  const r6 = rows()[6] as HTMLElement;
  r6.focus();
  key(r6, 'ArrowDown');
  assert.equal(doc.activeElement, rows()[7]);
  key(rows()[7], 'Enter');
  assert.equal(text(detail.querySelector('h3')), 'sneaker/img-7.png');
  assert.match(
    text(detail),
    /clean prediction bag \(79\.0%\), misclassified; not attacked \(the attacks start from the images classified correctly under top1\)\. .*Not attacked: there is no adversarial example to show\./,
  );
  assert.equal(rows()[7].getAttribute('tabindex'), '0');
  // Broken by DeepFool only, whose examples were not saved: says so and how to get them.
  key(rows()[2], ' ');
  assert.equal(text(detail.querySelector('h3')), 'pullover/img-2.png');
  assert.equal(
    text(detail.querySelector('[data-testid="per-image-no-examples"]')),
    'No example images were saved for this image. The first 32 successful examples of each attack are saved; re-run with --examples N to save more.',
  );
  assert.equal(detail.querySelectorAll('img').length, 0);
  const df = [...detail.querySelectorAll('[data-testid="per-image-numbers"] tbody tr')][1];
  assert.deepEqual(
    [...df.children].map((c) => text(c)),
    ['DeepFool L2', 'minimal perturbation', 'broken → sandal', '0.15 L2', '0.15', '0.03', '7', 'right'],
  );
});

test('example paths that leave the run folder are not loaded', () => {
  const { panel, rows } = mount(section({ clean: '../../../secret/{image}.png', perturbation: '/etc/{image}.png' }));
  click(rows()[3]);
  const detail = panel.querySelector('[data-testid="per-image-detail"]')!;
  const srcs = [...detail.querySelectorAll('img')].map((i) => i.getAttribute('src')!);
  assert.deepEqual(srcs, [`${BASE}/per-image/attack-1/3-adversarial.png`]);
  assert.equal(detail.querySelectorAll('.gallery-cell .muted').length, 2);
  assert.match(text(detail.querySelector('[data-testid="per-image-spectrum"]')), /path leaves the run folder/);
});

test('the spectrum of a decoded perturbation PNG: a cosine of 3 cycles gives two peaks of N·A/2 beside DC', () => {
  const h = 8,
    w = 8,
    A = 0.02;
  const amplification = 0.5 / A;
  const rgba = new Uint8ClampedArray(4 * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const d = A * Math.cos((2 * Math.PI * 3 * x) / w);
      const v = Math.round(255 * (0.5 + amplification * d));
      rgba.set([v, v, v, 255], 4 * (y * w + x));
    }
  const map = perturbationSpectrum(rgba, w, h, amplification);
  assert.equal(map.values.length, 64);
  const at = (ky: number, kx: number) => map.values[(ky + 4) * w + (kx + 4)];
  const peak = (h * w * A) / 2;
  // 8-bit steps of 1/255 in the PNG are 1/(255·amplification) in δ: at most that much per pixel, N of them.
  const tol = (h * w) / (255 * amplification);
  assert.ok(Math.abs(at(0, 3) - peak) < tol, `${at(0, 3)} vs ${peak}`);
  assert.ok(Math.abs(at(0, -3) - peak) < tol);
  const others = map.values.filter((_, p) => p !== 4 * w + 7 && p !== 4 * w + 1);
  assert.ok(Math.max(...others) < tol, `largest other ${Math.max(...others)}`);
  assert.throws(() => perturbationSpectrum(rgba, 4, 4, 1), /256 bytes for 4 × 4 RGBA pixels/);
});

test("the panel's direct DFT equals the engine's FFT (odd, even and prime sides)", () => {
  for (const [h, w] of [
    [6, 10],
    [7, 5],
    [1, 4],
  ]) {
    const plane = Array.from({ length: h * w }, (_, p) => Math.sin(p * 1.7) + (p % 3) * 0.25);
    const mine = dft2(plane, h, w);
    const ref = fft2Real(plane, h, w);
    for (let p = 0; p < h * w; p++) {
      assert.ok(Math.abs(mine.re[p] - ref.re[p]) < 1e-9, `${h}×${w} re[${p}]`);
      assert.ok(Math.abs(mine.im[p] - ref.im[p]) < 1e-9, `${h}×${w} im[${p}]`);
    }
  }
});
