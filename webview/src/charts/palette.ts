/**
 * The categorical colours of chart series, one palette per background: VS Code's own chart colours are six
 * (blue, orange, green, purple, red, yellow), too few for ten series, and some sit under 3:1 on a white
 * editor. styles.css sets --rl-series-0 … 9 from these lists (test/webview/palette.test.ts checks that
 * it does, that every colour reaches 3:1 against its theme's background, WCAG 1.4.11, and that no two
 * colours of a palette are closer than CIEDE2000 ΔE 10).
 *
 * - DARK (dark and high-contrast dark themes): Tableau 10 as published, unchanged.
 * - LIGHT (light and high-contrast light themes): Tableau's classic 10 (d3's category10) in the same hue
 *   order; its orange, cyan, green, olive and pink are darkened in CIELAB lightness (hue kept) until they reach
 *   3.1:1 on #f3f3f3, the lightest-grey editor background of the light themes (3.4:1 on white).
 */
export const SERIES_COLOURS = 10;

/** Tableau 10: blue, orange, red, teal, green, yellow, purple, pink, brown, grey. */
export const DARK_PALETTE: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** category10, same hue order: blue, orange, red, cyan, green, olive, purple, pink, brown, grey. */
export const LIGHT_PALETTE: readonly string[] = [
  '#1f77b4',
  '#e16600',
  '#d62728',
  '#0098a9',
  '#2a9f2b',
  '#8c9000',
  '#9467bd',
  '#cf64af',
  '#8c564b',
  '#7f7f7f',
];

/** Editor backgrounds each palette is checked against (Dark+/Dark Modern, high contrast; Light+/Modern, high contrast light). */
export const PALETTE_BACKGROUNDS = {
  dark: ['#1e1e1e', '#1f1f1f', '#252526', '#000000'],
  light: ['#ffffff', '#f3f3f3'],
} as const;
