/**
 * The Occluded Frequency panel of a run that ablated bands in groups (bandGroup g > 1): one bar per group,
 * each labelled by its band range [g·k, min(g·k+g, bands)−1] (computed here from the definition, not read from
 * the renderer), the axis and previews say so; a g = 1 section keeps single-band labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelApp } from '../../webview/src/app';
import type { OccludedFrequencySection } from '../../src/engine/report/sections';
import { bandLabel, bandTick, sectionBandGroup } from '../../src/protocol/ofBands';
import { OCCLUDED, fixtureReport, initMessage } from './fixtures';
import { createDom } from './dom';

const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

function mountWith(of: OccludedFrequencySection) {
  const dom = createDom();
  const doc = dom.window.document;
  const report = fixtureReport();
  report.sections = { ...report.sections, occludedFrequency: of };
  const app = new PanelApp(doc.getElementById('app')!, {
    post: () => {},
    rasterizer: { svgToPng: async () => '', canvasToPng: () => '' },
    persist: () => {},
  });
  app.handle(initMessage({ report }));
  return doc;
}

/** The fixture's 8 per-band entries read as 4 groups of 3 of 10 bands (the last group is band 9 alone). */
function grouped(): OccludedFrequencySection {
  const of = structuredClone(OCCLUDED);
  const cut = (a: number[]) => a.slice(0, 4);
  of.bands = 10;
  of.bandGroup = 3;
  for (const m of of.models) {
    m.mean = cut(m.mean);
    m.flipRate = cut(m.flipRate);
    m.perClass = m.perClass.map((pc) => (pc ? { ...pc, scores: cut(pc.scores), flipRate: cut(pc.flipRate) } : null));
    for (const img of m.images) {
      img.scores = cut(img.scores);
      img.flips = img.flips.slice(0, 4);
    }
  }
  return of;
}

test('grouped bands: one bar per group, labelled by its band range; axis, intro and previews name the ranges', () => {
  const doc = mountWith(grouped());
  const chart = doc.querySelector('svg[data-testid="of-chart"]')!;
  const cats = [...chart.querySelectorAll('.series rect.bar')].map((r) => r.getAttribute('data-category'));
  // Group k holds bands 3k … min(3k+3, 10)−1.
  const expected = [0, 1, 2, 3].map((k) => {
    const first = 3 * k,
      last = Math.min(3 * k + 3, 10) - 1;
    return first === last ? String(first) : `${first}–${last}`;
  });
  assert.deepEqual(cats, expected);
  assert.deepEqual(expected, ['0–2', '3–5', '6–8', '9']);
  assert.ok(text(chart).includes('frequency bands, in groups of 3'), text(chart));
  assert.ok(text(doc.querySelector('#panel-occluded-frequency .section-intro')).includes('10 bands ablated in 4 groups of 3'));
  const select = doc.getElementById('of-view') as HTMLSelectElement;
  select.value = 'image:t-shirt/0083.png';
  select.dispatchEvent(new doc.defaultView!.Event('change'));
  const captions = [...doc.querySelectorAll('.of-previews figure.ablated figcaption')].map(text);
  assert.deepEqual(
    captions.map((c) => c.replace(/ \(score.*$/, '')),
    ['bands 0–2 ablated', 'bands 3–5 ablated', 'bands 6–8 ablated'],
  );
});

test('a g = 1 section keeps one bar per band with the band number', () => {
  const doc = mountWith(OCCLUDED);
  const chart = doc.querySelector('svg[data-testid="of-chart"]')!;
  const cats = [...chart.querySelectorAll('.series rect.bar')].map((r) => r.getAttribute('data-category'));
  assert.deepEqual(cats, ['0', '1', '2', '3', '4', '5', '6', '7']);
  assert.ok(text(chart).includes('frequency band (low → high)'));
});

test('band labels: single bands, ranges, a one-band last group; bad bandGroup values read as 1', () => {
  assert.equal(bandLabel(5, 1, 224), 'band 5');
  assert.equal(bandLabel(55, 4, 224), 'bands 220–223');
  assert.equal(bandLabel(3, 3, 10), 'band 9');
  assert.equal(bandTick(1, 4, 224), '4–7');
  for (const g of [undefined, 0, -2, 1.5, '4', null]) assert.equal(sectionBandGroup({ bandGroup: g }), 1, String(g));
  assert.equal(sectionBandGroup({ bandGroup: 4 }), 4);
});
