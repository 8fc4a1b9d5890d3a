/**
 * How series are told apart: a colour class (series-0 … series-9, mapped in styles.css to a palette chosen
 * per theme kind, see palette.ts), plus a point symbol and a dash pattern, so series stay distinguishable
 * without colour: the first ten series differ in their (symbol, dash) pair too.
 */
import { symbol, symbolCircle, symbolCross, symbolDiamond, symbolSquare, symbolStar, symbolTriangle, symbolWye } from 'd3-shape';
import { SERIES_COLOURS } from './palette';

export const SERIES_CLASSES = SERIES_COLOURS;
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
