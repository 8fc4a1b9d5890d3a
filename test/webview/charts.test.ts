import { test } from 'node:test';
import assert from 'node:assert/strict';
import { legendPlan, lineChart } from '../../webview/src/charts/lineChart';
import { barChart } from '../../webview/src/charts/barChart';
import { colourLegend, decades } from '../../webview/src/charts/legend';
import { colourScale } from '../../webview/src/charts/colourScale';
import { heatmap, heatmapSvg, checkMap } from '../../webview/src/charts/heatmap';
import { frequencyAt, frequencyText, frequencyTicks } from '../../webview/src/charts/heatmapAxes';
import { centredFrequency, signedFrequency } from '../../src/engine/spectral/fft';
import type { Map2D } from '../../src/engine/report/sections';
import { blockTable } from '../../webview/src/charts/heatmapFigure';
import { toCsv } from '../../webview/src/charts/dataTable';
import { percent } from '../../webview/src/format';
import { createDom, key } from './dom';
import { matchSnapshot, prettySvg } from './snapshot';

const doc = () => createDom().window.document;

test('a line chart draws axes, one path and symbols per series with gaps at missing values, and an in-SVG legend (snapshot)', () => {
  const chart = lineChart(doc(), {
    id: 'sweep-k',
    title: 'Defence rate vs K',
    xLabel: 'K',
    yLabel: 'defence rate',
    yDomain: [0, 1],
    formatY: (v) => percent(v, 0),
    series: [
      { name: 'non-adaptive', points: [1, 5, 15, 30].map((x, i) => ({ x, y: [0.42, 0.63, 0.71, 0.72][i] })) },
      { name: 'adaptive', points: [1, 5, 15, 30].map((x, i) => ({ x, y: [0.1, null, 0.18, 0.2][i] })) },
    ],
  });
  const svg = chart.svg;
  assert.equal(svg.querySelectorAll('path.line').length, 2);
  assert.equal(svg.querySelectorAll('.series path.point').length, 7, 'a symbol per present value: 4 + 3');
  // The gap: the adaptive line has two sub-paths (M … M …) around the missing K = 5.
  assert.equal(svg.querySelectorAll('.series-1 path.line')[0].getAttribute('d')!.match(/M/g)!.length, 2);
  assert.deepEqual(
    [...svg.querySelectorAll('.axis-x .tick text')].map((t) => t.textContent),
    ['1', '5', '15', '30'],
    'the measured x values are the ticks',
  );
  assert.equal(svg.querySelector('.axis-y .tick text')!.textContent, '0%');
  matchSnapshot('line-chart.svg', prettySvg(svg.outerHTML));
});

test('arrow keys move the focus dot along a line chart and announce the value; Up/Down switch series at the nearest x', () => {
  const announced: string[] = [];
  const chart = lineChart(doc(), {
    id: 'c',
    title: 't',
    xLabel: 'r',
    yLabel: 'rate',
    formatY: (v) => percent(v, 0),
    announce: (t) => announced.push(t),
    series: [
      {
        name: 'a',
        points: [
          { x: 0.1, y: 0.5 },
          { x: 0.2, y: null },
          { x: 0.3, y: 0.75 },
        ],
      },
      {
        name: 'b',
        points: [
          { x: 0.1, y: 0.2 },
          { x: 0.3, y: 0.4 },
        ],
      },
    ],
  });
  const svg = chart.svg;
  const view = svg.ownerDocument.defaultView!;
  svg.dispatchEvent(new view.FocusEvent('focus'));
  assert.equal(announced.at(-1), 'a: r 0.1, rate 50%');
  key(svg, 'ArrowRight');
  assert.equal(announced.at(-1), 'a: r 0.3, rate 75%', 'the missing point is skipped');
  key(svg, 'ArrowDown');
  assert.equal(announced.at(-1), 'b: r 0.3, rate 40%');
  key(svg, 'Home');
  assert.equal(announced.at(-1), 'b: r 0.1, rate 20%');
  const dot = svg.querySelector('circle.focus-dot')!;
  assert.equal(dot.getAttribute('visibility'), 'visible');
  assert.ok(svg.querySelector('g.tooltip')!.textContent!.includes('rate: 20%'));
  key(svg, 'Escape');
  assert.equal(dot.getAttribute('visibility'), 'hidden');
});

test('hovering a line chart focuses the point nearest the pointer', () => {
  const announced: string[] = [];
  const chart = lineChart(doc(), {
    id: 'c',
    title: 't',
    xLabel: 'r',
    yLabel: 'rate',
    yDomain: [0, 1],
    formatY: (v) => percent(v, 0),
    announce: (t) => announced.push(t),
    series: [
      {
        name: 'a',
        points: [
          { x: 0, y: 0.5 },
          { x: 1, y: 0.75 },
        ],
      },
      {
        name: 'b',
        points: [
          { x: 0, y: 0.25 },
          { x: 1, y: 0.25 },
        ],
      },
    ],
  });
  const view = chart.svg.ownerDocument.defaultView!;
  // jsdom lays nothing out, so client coordinates are plot coordinates: x(1) = 480, y(0.75) = 240 · 0.25 = 60.
  chart.svg.dispatchEvent(new view.MouseEvent('pointermove', { clientX: 470, clientY: 70 }));
  assert.equal(announced.at(-1), 'a: r 1, rate 75%');
  chart.svg.dispatchEvent(new view.MouseEvent('pointermove', { clientX: 10, clientY: 175 }));
  assert.equal(announced.at(-1), 'b: r 0, rate 25%');
  chart.svg.dispatchEvent(new view.MouseEvent('pointerleave'));
  assert.equal(chart.svg.querySelector('circle.focus-dot')!.getAttribute('visibility'), 'hidden');
});

test('a bar chart draws one rect.bar per value from zero (negative values below the zero line), flip marks and reference ticks (snapshot)', () => {
  const announced: string[] = [];
  const chart = barChart(doc(), {
    id: 'of',
    title: 'Occluded Frequency',
    categories: ['0', '1', '2', '3'],
    xLabel: 'band',
    yLabel: 'logit drop',
    testId: 'of-chart',
    groups: [
      { name: 'model-a.onnx', values: [4, 2, 0.5, -1], marks: ['flips', null, null, null] },
      { name: 'model-b.onnx', values: [3, 1, null, -0.5] },
    ],
    reference: { name: 'dataset mean', values: [3.5, 1.5, 0.4, -0.7] },
    announce: (t) => announced.push(t),
  });
  const svg = chart.svg;
  assert.equal(svg.getAttribute('data-testid'), 'of-chart');
  assert.equal(svg.querySelectorAll('.series rect.bar').length, 7);
  const zeroY = Number(svg.querySelector('line.zero-line')!.getAttribute('y1'));
  const negative = svg.querySelectorAll('.series-0 rect.bar')[3];
  assert.equal(Number(negative.getAttribute('y')), zeroY, 'a negative bar starts at the zero line and grows down');
  assert.equal(svg.querySelectorAll('.series path.flip-mark').length, 1);
  assert.equal(svg.querySelectorAll('g.plot > g.reference line').length, 4);
  chart.focus(1, 3);
  assert.equal(announced.at(-1), 'model-b.onnx: band: 3, logit drop: −0.5, dataset mean: −0.7');
  matchSnapshot('bar-chart.svg', prettySvg(svg.outerHTML));
});

test('colour scales: linear from min(0, lo) to the maximum; log from max(min positive, max/10⁴) to the maximum', () => {
  assert.deepEqual(colourScale([0.5, 2, 1], 'linear').domain, [0, 2]);
  assert.deepEqual(colourScale([-1, 3], 'linear').domain, [-1, 3]);
  assert.deepEqual(colourScale([0, 1e-9, 0.01, 100], 'log').domain, [0.01, 100]);
  assert.deepEqual(colourScale([0, 0.5, 2], 'log').domain, [0.5, 2]);
  assert.deepEqual(colourScale([0, 0], 'log').domain, [0, 1], 'no positive value: a linear fallback');
  const s = colourScale([0, 1], 'linear');
  assert.equal(s.colour(0), '#440154', 'viridis(0)');
  assert.equal(s.colour(1), '#fde725', 'viridis(1)');
  assert.deepEqual(decades(0.01, 100), [0.01, 0.1, 1, 10, 100]);
  assert.deepEqual(decades(2, 5), [2, 5], 'less than a decade: the ends');
});

test('a colour legend is a vertical SVG gradient bar, high values at the top, with an axis and its title (snapshot, linear and log)', () => {
  const d = doc();
  const linear = colourLegend(d, { id: 'rct-a-0-0', title: 'mean RCT', scale: colourScale([0, 2], 'linear'), testId: 'rct-legend' });
  assert.equal(linear.querySelectorAll('stop').length, 17);
  assert.equal(linear.querySelector('rect.legend-bar')!.getAttribute('fill'), 'url(#rct-a-0-0-gradient)');
  assert.equal(linear.querySelector('rect.legend-bar')!.getAttribute('height'), '256');
  assert.equal(linear.querySelector('stop')!.getAttribute('stop-color'), '#440154', 'the gradient starts at viridis(0)…');
  assert.equal(linear.querySelector('linearGradient')!.getAttribute('y1'), '1', '…at the bottom');
  const top = [...linear.querySelectorAll('.tick')].find((t) => t.textContent === '2')!;
  assert.equal(top.getAttribute('transform'), 'translate(0,0.5)', 'the maximum at the top');
  matchSnapshot('legend-linear.svg', prettySvg(linear.outerHTML));
  const log = colourLegend(d, { id: 'spectrum', title: 'mean |F(δ)|', scale: colourScale([1e-3, 10], 'log') });
  assert.deepEqual(
    [...log.querySelectorAll('.tick text')].map((t) => t.textContent),
    ['0.001', '0.01', '0.1', '1', '10'],
  );
  matchSnapshot('legend-log.svg', prettySvg(log.outerHTML));
});

test('a heatmap canvas has one cell per value at an integer zoom, a legend, and reads cells with the arrow keys', () => {
  const announced: string[] = [];
  const map = { height: 2, width: 3, values: [0, 1, 2, 3, 4, 5] };
  const hm = heatmap(doc(), {
    id: 'h',
    title: 'RCT',
    map,
    scale: 'linear',
    valueLabel: 'RCT',
    rowLabel: 'row',
    colLabel: 'col',
    layout: 'dct',
    testId: 'rct-heatmap',
    legendTestId: 'rct-legend',
    announce: (t) => announced.push(t),
  });
  assert.equal(hm.zoom, 85, 'floor(256 / 3)');
  assert.equal(hm.canvas.width, 3 * 85);
  assert.equal(hm.canvas.height, 2 * 85);
  assert.equal(hm.canvas.getAttribute('data-testid'), 'rct-heatmap');
  assert.equal(hm.legend.getAttribute('data-testid'), 'rct-legend');
  hm.canvas.dispatchEvent(new hm.canvas.ownerDocument.defaultView!.FocusEvent('focus'));
  key(hm.canvas, 'ArrowRight');
  key(hm.canvas, 'ArrowDown');
  assert.equal(announced.at(-1), 'row 1, col 1: RCT 4');
  assert.throws(() => checkMap({ height: 2, width: 3, values: [1, 2] }, 'RCT: FGSM'), /RCT: FGSM: 2 values for a 2×3 map \(expected 6\)/);
});

test('a heatmap table averages square blocks down to at most 32 × 32 cells', () => {
  const map = { height: 64, width: 64, values: Array.from({ length: 64 * 64 }, (_, i) => Math.floor(i / 64)) };
  const { data, note } = blockTable(map, 'row', 'col');
  assert.equal(data.rows.length, 32);
  assert.equal(data.columns.length, 33);
  assert.deepEqual(data.rows[0].slice(0, 3), ['0–1', 0.5, 0.5], 'rows 0 and 1 average to 0.5');
  assert.deepEqual(data.rows[31][1], 62.5);
  assert.match(note, /means of 2×2 blocks/);
  assert.equal(blockTable({ height: 2, width: 2, values: [1, 2, 3, 4] }, 'r', 'c').note, '');
});

test('CSV quotes separators and quotes, and defuses text cells a spreadsheet would run as formulas', () => {
  const csv = toCsv({
    columns: [{ label: 'class' }, { label: 'score' }],
    rows: [
      ['a,b', 1.5],
      ['say "hi"', -2],
      ['=HYPERLINK("x")', null],
      ['-cmd', 3],
    ],
  });
  assert.equal(csv, 'class,score\r\n"a,b",1.5\r\n"say ""hi""",-2\r\n"\'=HYPERLINK(""x"")",\r\n\'-cmd,3\r\n');
});

test("a binned map reads and tabulates in the full map's rows and columns", () => {
  const announced: string[] = [];
  const map = {
    height: 56,
    width: 56,
    values: Array.from({ length: 56 * 56 }, (_, i) => i),
    binned: { block: 4, height: 224, width: 224 },
  };
  const hm = heatmap(doc(), {
    id: 'h',
    title: 'RCT',
    map,
    scale: 'linear',
    valueLabel: 'RCT',
    rowLabel: 'row',
    colLabel: 'col',
    layout: 'dct',
    announce: (t) => announced.push(t),
  });
  assert.match(hm.canvas.getAttribute('aria-label')!, /each cell the mean of a 4×4 block of the 224×224 map, DC at the top left,/);
  hm.canvas.dispatchEvent(new hm.canvas.ownerDocument.defaultView!.FocusEvent('focus'));
  key(hm.canvas, 'ArrowRight');
  assert.equal(announced.at(-1), 'row 0–3, col 4–7: RCT (block mean) 1');
  const { data, note } = blockTable(map, 'row', 'col');
  assert.equal(data.rows.length, 28, '56 cells → 28 table rows of 2×2 cells');
  assert.equal(data.rows[0][0], '0–7');
  assert.equal(data.columns[28].label, '216–223');
  assert.match(note, /means of 2×2 blocks/);
});

test('a line chart legend lists only drawn series, says which lines coincide, and names series with no value', () => {
  const xs = [0.1, 0.2, 0.3];
  const s = (name: string, ys: (number | null)[]) => ({ name, points: xs.map((x, i) => ({ x, y: ys[i] })) });
  const series = [
    s('non-adaptive', [0.5, 0.6, 0.7]),
    s('adaptive', [0.5, 0.6, 0.7 + 1e-9]),
    s('empty', [null, null, null]),
    s('other', [0.1, 0.2, 0.3]),
    s('nan', [NaN, null, NaN]),
    s('third copy', [0.5, 0.6, 0.7]),
    s('partial', [0.5, 0.6, null]),
  ];
  assert.deepEqual(legendPlan(series), {
    drawn: [0, 1, 3, 5, 6],
    notes: ['non-adaptive, adaptive and third copy coincide: one line hides the others.', 'Not drawn, no values: empty, nan.'],
  });
  assert.deepEqual(legendPlan([s('a', [0.5, 0.6, 0.7]), s('b', [0.5, 0.6, 0.71])]).notes, [], 'a 1 % gap is visible: no note');
  const chart = lineChart(doc(), { id: 'c', title: 't', xLabel: 'r', yLabel: 'rate', series });
  const items = [...chart.svg.querySelectorAll('.legend-item')];
  assert.deepEqual(
    items.map((i) => i.textContent),
    ['non-adaptive', 'adaptive', 'other', 'third copy', 'partial'],
  );
  assert.deepEqual(
    items.map((i) => i.getAttribute('class')),
    ['legend-item series-0', 'legend-item series-1', 'legend-item series-3', 'legend-item series-5', 'legend-item series-6'],
    'a series keeps its colour, symbol and dash whether or not others are drawn',
  );
  assert.deepEqual(
    [...chart.svg.querySelectorAll('.legend text.legend-note')].map((t) => t.textContent),
    ['non-adaptive, adaptive and third copy coincide: one line hides the others.', 'Not drawn, no values: empty, nan.'],
  );
  assert.match(chart.svg.getAttribute('aria-label')!, /5 series\. non-adaptive, adaptive and third copy coincide/);
  const two = legendPlan([s('fixed-ε', [0, 0, 0]), s('minimal-ε', [0, 0, 0])]);
  assert.deepEqual(two.notes, ['fixed-ε and minimal-ε coincide: one line hides the other.'], 'flat lines at 0 coincide too');
});

/** The ticks of a heatmap axis: label and pixel offset along the canvas. */
function axisTicks(svg: SVGSVGElement): [string, number][] {
  return [...svg.querySelectorAll('.tick')].map((t) => {
    const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(t.getAttribute('transform')!)!;
    const along = svg.classList.contains('heatmap-axis-y') ? Number(m[2]) : Number(m[1]);
    return [t.querySelector('text')!.textContent!, Math.round(along * 1000) / 1000];
  });
}

const mapOf = (height: number, width: number, binned?: Map2D['binned']): Map2D => ({
  height,
  width,
  values: Array.from({ length: height * width }, (_, i) => i),
  ...(binned ? { binned } : {}),
});

test('heatmap axes: DCT maps count coefficients from DC at the top left, ticks on the cell centres, with titles and a colour bar', () => {
  const hm = heatmap(doc(), {
    id: 'r',
    title: 'RCT',
    map: mapOf(28, 28),
    scale: 'linear',
    valueLabel: 'mean RCT (relative change, no unit)',
    rowLabel: 'vertical DCT frequency index (low → high)',
    colLabel: 'horizontal DCT frequency index (low → high)',
    layout: 'dct',
  });
  assert.equal(hm.zoom, 9);
  const expected: [string, number][] = [0, 5, 10, 15, 20, 25].map((p) => [String(p), (p + 0.5) * 9]);
  assert.deepEqual(axisTicks(hm.axes.x), expected);
  assert.deepEqual(axisTicks(hm.axes.y), expected);
  assert.equal(hm.axes.x.getAttribute('width'), String(hm.canvas.width), 'one SVG unit per canvas pixel');
  assert.equal(hm.axes.y.getAttribute('height'), String(hm.canvas.height));
  assert.equal(hm.axes.x.querySelector('text.axis-label')!.textContent, 'horizontal DCT frequency index (low → high)');
  assert.equal(hm.axes.y.querySelector('text.axis-label')!.textContent, 'vertical DCT frequency index (low → high)');
  assert.deepEqual(
    [...hm.frame.children].map((c) => c.getAttribute('class')),
    ['heatmap-axis heatmap-axis-y', 'heatmap', 'colour-legend', 'heatmap-axis heatmap-axis-x'],
  );
  assert.equal(hm.legend.querySelector('text.legend-title')!.textContent, 'mean RCT (relative change, no unit)');
  assert.equal(hm.legend.getAttribute('height'), String(hm.canvas.height), 'the colour bar is as tall as the map');
});

test("heatmap axes of a binned map are in the full map's indices; centred spectra run from −⌊n/2⌋ with DC at 0", () => {
  const spec = { id: 's', title: 'S', scale: 'linear' as const, valueLabel: 'v', rowLabel: 'k_y', colLabel: 'k_x' };
  // 224×224 reported as 56×56 means of 4×4 blocks: zoom 4, so coefficient p sits at (p + ½)·4/4 pixels
  const binned = heatmap(doc(), { ...spec, map: mapOf(56, 56, { block: 4, height: 224, width: 224 }), layout: 'dct' });
  assert.equal(binned.zoom, 4);
  assert.deepEqual(
    axisTicks(binned.axes.x),
    [0, 50, 100, 150, 200].map((p) => [String(p), p + 0.5]),
  );
  const centred = heatmap(doc(), { ...spec, map: mapOf(56, 56, { block: 4, height: 224, width: 224 }), layout: 'centred-dft' });
  assert.deepEqual(
    axisTicks(centred.axes.y),
    [-100, -50, 0, 50, 100].map((f) => [frequencyText(f), f + 112 + 0.5]),
    'frequency f at full index f + 112',
  );
  // Unbinned, even and odd sizes: the centred layout of src/engine/spectral/spectra.ts
  const even = heatmap(doc(), { ...spec, map: mapOf(28, 28), layout: 'centred-dft' });
  assert.deepEqual(
    axisTicks(even.axes.x),
    [-10, -5, 0, 5, 10].map((f) => [frequencyText(f), (f + 14 + 0.5) * 9]),
  );
  assert.deepEqual(
    frequencyTicks('centred-dft', 5).map((t) => [t.index, t.label]),
    [
      [0, '−2'],
      [1, '−1'],
      [2, '0'],
      [3, '1'],
      [4, '2'],
    ],
  );
  for (const n of [1, 2, 3, 4, 5, 28, 224]) {
    const values = Array.from({ length: n }, (_, p) => frequencyAt('centred-dft', p, n));
    assert.deepEqual(
      values,
      Array.from({ length: n }, (_, p) => centredFrequency(p, n)),
      `n = ${n}: the engine's centred layout`,
    );
    assert.deepEqual(
      values,
      Array.from({ length: n }, (_, k) => signedFrequency(k, n)).sort((a, b) => a - b),
      `n = ${n}: every DFT frequency once, in order`,
    );
  }
  // Reading a cell of the centred binned map names its frequencies
  const announced: string[] = [];
  const read = heatmap(doc(), {
    ...spec,
    map: mapOf(56, 56, { block: 4, height: 224, width: 224 }),
    layout: 'centred-dft',
    announce: (t) => announced.push(t),
  });
  read.focus(28, 0);
  assert.equal(announced.at(-1), 'k_y 0…3, k_x −112…−109: v (block mean) 1568');
  const { data } = blockTable(mapOf(56, 56, { block: 4, height: 224, width: 224 }), 'k_y', 'k_x', 'centred-dft');
  assert.equal(data.rows[14][0], '0…7', 'the data table speaks in frequencies too');
});

test('the heatmap SVG export carries the axes and the colour bar', () => {
  const hm = heatmap(doc(), {
    id: 'x',
    title: 'T',
    map: mapOf(8, 8),
    scale: 'linear',
    valueLabel: 'v',
    rowLabel: 'r',
    colLabel: 'c',
    layout: 'dct',
  });
  const { svg, width, height } = heatmapSvg(
    hm.canvas.ownerDocument,
    hm,
    'T',
    'data:image/png;base64,AA==',
    {
      legend: hm.legend.cloneNode(true) as SVGSVGElement,
      x: hm.axes.x.cloneNode(true) as SVGSVGElement,
      y: hm.axes.y.cloneNode(true) as SVGSVGElement,
    },
    '#000',
  );
  assert.equal(svg.querySelectorAll('svg.heatmap-axis').length, 2);
  assert.equal(svg.querySelectorAll('svg.colour-legend').length, 1);
  assert.ok(width > hm.canvas.width + 50 + 90 && height > hm.canvas.height + 30);
});

test('a bar chart legend lists only groups with a bar and names the others in a note', () => {
  const chart = barChart(doc(), {
    id: 'of',
    title: 'OF',
    categories: ['0', '1'],
    xLabel: 'band',
    yLabel: 'drop',
    groups: [
      { name: 'a.onnx', values: [1, 2] },
      { name: 'b.onnx', values: [null, null] },
      { name: 'c.onnx', values: [null, 0.5] },
    ],
  });
  assert.deepEqual(
    [...chart.svg.querySelectorAll('.legend-item')].map((i) => [i.textContent, i.getAttribute('class')]),
    [
      ['a.onnx', 'legend-item series-0'],
      ['c.onnx', 'legend-item series-2'],
    ],
  );
  assert.equal(chart.svg.querySelector('.legend-note')!.textContent, 'Not drawn, no values: b.onnx.');
});
