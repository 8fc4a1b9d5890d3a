import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DARK_PALETTE, LIGHT_PALETTE, PALETTE_BACKGROUNDS, SERIES_COLOURS } from '../../webview/src/charts/palette';
import { SERIES_CLASSES, seriesClass, seriesDash, seriesSymbol } from '../../webview/src/charts/seriesStyle';
import { contrastRatio, deltaE2000, deltaE2000Hex } from '../helpers/colourDifference';

/** Below this CIEDE2000 difference two line colours read as "the same colour, maybe" at chart sizes. */
const MIN_DELTA_E = 10;
/** WCAG 1.4.11: graphical objects need 3:1 against what they sit on. */
const MIN_CONTRAST = 3;

test('CIEDE2000 reproduces Sharma, Wu & Dalal (2005) test pairs, and contrast ratios match WCAG extremes', () => {
  const pairs: [[number, number, number], [number, number, number], number][] = [
    [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
    [[50, 0, 0], [50, -1, 2], 2.3669],
    [[50, 2.5, 0], [73, 25, -18], 27.1492],
    [[50, 2.5, 0], [61, -5, 29], 22.8977],
    [[50, 2.5, 0], [56, -27, -3], 31.903],
    [[50, 2.5, 0], [58, 24, 15], 19.4535],
    [[60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387], 1.2644],
  ];
  for (const [a, b, expected] of pairs)
    assert.ok(Math.abs(deltaE2000(a, b) - expected) < 1e-4, `${a.join(',')} vs ${b.join(',')}: ${deltaE2000(a, b)} ≠ ${expected}`);
  assert.equal(contrastRatio('#000000', '#ffffff'), 21);
  assert.equal(contrastRatio('#777777', '#777777'), 1);
  assert.ok(Math.abs(contrastRatio('#767676', '#ffffff') - 4.54) < 0.01, 'the classic 4.5:1 grey');
});

for (const [name, palette, backgrounds] of [
  ['dark', DARK_PALETTE, PALETTE_BACKGROUNDS.dark],
  ['light', LIGHT_PALETTE, PALETTE_BACKGROUNDS.light],
] as const) {
  test(`the ${name} palette: ${SERIES_COLOURS} colours, each ≥ ${MIN_CONTRAST}:1 on ${backgrounds.join(', ')}, pairwise CIEDE2000 ≥ ${MIN_DELTA_E}`, () => {
    assert.equal(palette.length, SERIES_COLOURS);
    for (const c of palette)
      for (const bg of backgrounds) {
        const r = contrastRatio(c, bg);
        assert.ok(r >= MIN_CONTRAST, `${c} on ${bg}: ${r.toFixed(2)}:1`);
      }
    for (let i = 0; i < palette.length; i++)
      for (let j = i + 1; j < palette.length; j++) {
        const d = deltaE2000Hex(palette[i], palette[j]);
        assert.ok(d >= MIN_DELTA_E, `series ${i} ${palette[i]} and ${j} ${palette[j]}: ΔE2000 ${d.toFixed(1)}`);
      }
  });
}

test('styles.css sets --rl-series-0 … 9 from the palettes: dark at :root, light for light and high-contrast light bodies', () => {
  const css = readFileSync(join(__dirname, '../../webview/src/styles.css'), 'utf8');
  const block = (selector: RegExp) => {
    const m = selector.exec(css);
    assert.ok(m, `no block ${selector}`);
    const body = css.slice(m.index, css.indexOf('}', m.index));
    return Array.from(
      { length: SERIES_COLOURS },
      (_, i) => new RegExp(`--rl-series-${i}:\\s*(#[0-9a-f]{6});`, 'i').exec(body)?.[1] ?? null,
    );
  };
  assert.deepEqual(block(/^:root \{/m), [...DARK_PALETTE]);
  assert.deepEqual(block(/^body\.vscode-light,\s*body\.vscode-high-contrast-light \{/m), [...LIGHT_PALETTE]);
  for (let i = 0; i < SERIES_CLASSES; i++) assert.match(css, new RegExp(`\\.series-${i} \\{\\s*color: var\\(--rl-series-${i}\\);`));
  assert.doesNotMatch(css, /--rl-series-1\d/, 'no class beyond the palette');
});

test('the first ten series differ in colour class and in (symbol, dash), so they stay apart without colour', () => {
  const ten = Array.from({ length: 10 }, (_, i) => i);
  assert.equal(new Set(ten.map(seriesClass)).size, 10);
  assert.equal(new Set(ten.map((i) => `${seriesSymbol(i)}|${seriesDash(i)}`)).size, 10);
});
