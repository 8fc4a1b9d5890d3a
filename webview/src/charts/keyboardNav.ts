/**
 * Arrow-key reading of a focused chart: Left/Right move along a series' points, Up/Down switch series,
 * Home/End jump to the ends, Escape hides the readout. Points without a value are skipped.
 */
export interface NavTarget {
  /** Per series, whether each point has a value. */
  present: boolean[][];
  /** Index of the point in `series` whose x is closest to point `index` of series `from` (for Up/Down). */
  nearest(from: number, index: number, series: number): number;
  show(series: number, index: number): void;
  hide(): void;
}

export interface NavState {
  series: number;
  index: number;
}

export function attachKeyboardNav(el: Element, target: NavTarget): { state: NavState | null; set(s: NavState): void } {
  const nav = {
    state: null as NavState | null,
    set(s: NavState) {
      nav.state = s;
      target.show(s.series, s.index);
    },
  };
  const first = (series: number) => target.present[series].indexOf(true);
  const last = (series: number) => target.present[series].lastIndexOf(true);
  const step = (series: number, from: number, dir: 1 | -1) => {
    for (let i = from + dir; i >= 0 && i < target.present[series].length; i += dir) if (target.present[series][i]) return i;
    return from;
  };
  const nextSeries = (from: number, dir: 1 | -1) => {
    const n = target.present.length;
    for (let k = 1; k <= n; k++) {
      const s = (from + dir * k + n * k) % n;
      if (first(s) >= 0) return s;
    }
    return from;
  };
  el.addEventListener('focus', () => {
    if (nav.state) return target.show(nav.state.series, nav.state.index);
    const s = target.present.findIndex((p) => p.includes(true));
    if (s >= 0) nav.set({ series: s, index: first(s) });
  });
  el.addEventListener('blur', () => target.hide());
  el.addEventListener('keydown', (event) => {
    const e = event as KeyboardEvent;
    const cur = nav.state;
    if (!cur) return;
    let next: NavState | null = null;
    switch (e.key) {
      case 'ArrowRight':
        next = { series: cur.series, index: step(cur.series, cur.index, 1) };
        break;
      case 'ArrowLeft':
        next = { series: cur.series, index: step(cur.series, cur.index, -1) };
        break;
      case 'Home':
        next = { series: cur.series, index: first(cur.series) };
        break;
      case 'End':
        next = { series: cur.series, index: last(cur.series) };
        break;
      case 'ArrowUp':
      case 'ArrowDown': {
        const s = nextSeries(cur.series, e.key === 'ArrowDown' ? 1 : -1);
        let i = target.nearest(cur.series, cur.index, s);
        if (!target.present[s][i]) i = first(s);
        next = { series: s, index: i };
        break;
      }
      case 'Escape':
        target.hide();
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    nav.set(next);
  });
  return nav;
}
