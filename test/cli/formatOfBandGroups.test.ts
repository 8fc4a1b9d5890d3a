/**
 * The terminal's Occluded Frequency summary names band ranges when bands were ablated in groups (group k =
 * bands g·k … min(g·k+g, bands)−1) and single bands otherwise; so does the headline's band line. The
 * --of-band-group flag parses to the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFrequency } from '../../src/cli/formatAnalyse';
import type { ReportV1 } from '../../src/engine/report/schema';
import type { OccludedFrequencySection } from '../../src/engine/report/sections';
import { verdictLines, verdictOf } from '../../src/protocol/verdict';
import { analyseOptionsFromFlags } from '../../src/cli/analyseFlags';
import { isEngineError } from '../../src/engine/errors';

function report(bands: number, bandGroup: number | undefined, mean: number[]): ReportV1 {
  const of: OccludedFrequencySection = {
    kind: 'occluded-frequency',
    bands,
    ...(bandGroup !== undefined ? { bandGroup } : {}),
    baseline: 'zero',
    definition: 'd',
    seed: null,
    scoreOn: 'logits',
    models: [{ model: 'm.onnx', images: [], perClass: [], mean, flipRate: mean.map(() => 0) }],
  };
  return { sections: { occludedFrequency: of } } as unknown as ReportV1;
}

test('grouped bands: the header names the group size, the top drops their band ranges', () => {
  // 10 bands in groups of 3: groups 0–2, 3–5, 6–8, 9; the highest means are groups 3 (band 9 alone) and 1.
  const lines = formatFrequency(report(10, 3, [0.1, 0.5, 0.2, 0.9]));
  assert.ok(lines.includes('Occluded Frequency (10 DCT bands, ablated in groups of 3, baseline zero, score on logits)'), lines.join('\n'));
  const top = lines.find((l) => l.includes('highest mean logit drops'))!;
  assert.ok(top.endsWith('band 9 0.90, bands 3–5 0.50, bands 6–8 0.20, bands 0–2 0.10'), top);
});

test('single bands: as before', () => {
  const lines = formatFrequency(report(4, undefined, [0.1, 0.5, 0.2, 0.9]));
  assert.ok(lines.includes('Occluded Frequency (4 DCT bands, baseline zero, score on logits)'));
  assert.ok(lines.find((l) => l.includes('highest'))!.endsWith('band 3 0.90, band 1 0.50, band 2 0.20, band 0 0.10'));
});

test("the headline's band line names the strongest group's band range, its place among the groups", () => {
  const r = report(224, 4, [
    ...Array.from({ length: 55 }, (_, k) => k / 100),
    3, // group 55: bands 220–223, the highest
  ]);
  const line = verdictLines(verdictOf(Object.values(r.sections), 'complete')).find((l) => l.key === 'band')!;
  assert.ok(
    line.text.includes('most on frequency bands 220–223 of 0–223 (ablated in groups of 4; low → high: the highest frequencies)'),
    line.text,
  );
  const single = verdictLines(verdictOf(Object.values(report(8, undefined, [5, 1, 0, 0, 0, 0, 0, 0]).sections), 'complete')).find(
    (l) => l.key === 'band',
  )!;
  assert.ok(single.text.includes('most on frequency band 0 of 0–7 (low → high: the lowest frequencies)'), single.text);
});

test('--of-band-group N sets the group size; absent leaves the default to the plan; 0 and non-integers are refused', () => {
  assert.equal(analyseOptionsFromFlags({ 'of-band-group': '8', out: '/tmp/x' }, '/m.onnx', 'analyse').ofBandGroup, 8);
  assert.equal(analyseOptionsFromFlags({ out: '/tmp/x' }, '/m.onnx', 'analyse').ofBandGroup, undefined);
  for (const bad of ['0', '2.5', 'four'])
    assert.throws(
      () => analyseOptionsFromFlags({ 'of-band-group': bad, out: '/tmp/x' }, '/m.onnx', 'analyse'),
      (e: unknown) => isEngineError(e) && e.code === 'USAGE' && e.message.includes('--of-band-group'),
      bad,
    );
});
