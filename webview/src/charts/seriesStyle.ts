/**
 * How series are told apart: a colour class (mapped to VS Code's --vscode-charts-* variables in styles.css,
 * so each theme — high contrast included — picks the colour), plus a point symbol and a dash pattern, so
 * series stay distinguishable without colour.
 */
import { symbol, symbolCircle, symbolCross, symbolDiamond, symbolSquare, symbolStar, symbolTriangle, symbolWye } from 'd3-shape';

export const SERIES_CLASSES = 8;
const SYMBOLS = [symbolCircle, symbolSquare, symbolTriangle, symbolDiamond, symbolCross, symbolStar, symbolWye];
const DASHES = [null, '6 3', '2 3', '8 3 2 3'];

export function seriesClass(index: number): string {
  return `series-${index % SERIES_CLASSES}`;
}

/** Path data of the series' point symbol, centred on 0,0. */
export function seriesSymbol(index: number, size = 36): string {
  return symbol(SYMBOLS[index % SYMBOLS.length], size)() ?? '';
}

export function seriesDash(index: number): string | null {
  return DASHES[index % DASHES.length];
}
