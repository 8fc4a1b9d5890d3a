/** report.json's text: what JSON.stringify(…, null, 2) holds, with arrays of plain values on one line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringifyReport } from '../../../src/engine/report/reportJson';
import { fixtureReport } from '../../webview/fixtures';

test('parses back to what JSON.stringify gives, for a full report and for odd values', () => {
  const odd = {
    a: [1, 'x"y', true, null, NaN, Infinity, -0],
    b: { c: undefined, d: () => 1, e: [] as unknown[], f: {} },
    g: [undefined, { h: [1, 2] }, [3, [4]]],
    date: new Date(0),
    typed: new Float32Array([0.5, 1]),
    s: 'line\nbreak \u2028',
  };
  for (const v of [fixtureReport(), odd, [], 'text', 3, null])
    assert.deepEqual(JSON.parse(stringifyReport(v)), JSON.parse(JSON.stringify(v)));
});

test('indents as JSON.stringify(…, null, 2) except arrays of plain values, which stay on one line', () => {
  const v = { a: { b: [{ c: 1 }, { d: 'x' }] }, e: [] };
  assert.equal(stringifyReport(v), JSON.stringify(v, null, 2));
  assert.equal(stringifyReport({ xs: [1, 2.5, null], names: ['a', 'b'] }), '{\n  "xs": [1, 2.5, null],\n  "names": ["a", "b"]\n}');
  // a column where the per-image table keeps it: one value a line took 10 spaces of indent for each
  const columns = { sections: { perImage: { attacks: [{ l2: Array.from({ length: 1000 }, (_, i) => Number((i / 7).toPrecision(4))) }] } } };
  assert.ok(stringifyReport(columns).length < JSON.stringify(columns, null, 2).length / 2);
});
