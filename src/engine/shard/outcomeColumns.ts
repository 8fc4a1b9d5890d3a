/** Attack outcomes ↔ the columns a shard's report stores them in (JSON has no NaN: null stands for it). */
import type { ImageOutcome } from '../attacks/protocol';
import type { OutcomeColumns } from '../report/schema';

const num = (x: number) => (Number.isFinite(x) ? x : null);
const back = (x: number | null) => (x === null ? NaN : x);

export function outcomeColumns(outcomes: readonly ImageOutcome[], images: readonly number[]): OutcomeColumns {
  return {
    images: images.slice(),
    cleanTop1: outcomes.map((o) => o.cleanTop1),
    cleanTop5: outcomes.map((o) => o.cleanTop5),
    attacked: outcomes.map((o) => o.attacked),
    success: outcomes.map((o) => o.success),
    attackedTop1: outcomes.map((o) => o.attackedTop1),
    attackedTop5: outcomes.map((o) => o.attackedTop5),
    l2: outcomes.map((o) => num(o.l2)),
    linf: outcomes.map((o) => num(o.linf)),
    queries: outcomes.map((o) => o.queries),
    epsilon: outcomes.map((o) => num(o.epsilon)),
  };
}

/** The rows back, each with its position in the whole sample. */
export function outcomeRows(c: OutcomeColumns): { image: number; outcome: ImageOutcome }[] {
  return c.images.map((image, r) => ({
    image,
    outcome: {
      cleanTop1: c.cleanTop1[r],
      cleanTop5: c.cleanTop5[r],
      attacked: c.attacked[r],
      success: c.success[r],
      attackedTop1: c.attackedTop1[r],
      attackedTop5: c.attackedTop5[r],
      l2: back(c.l2[r]),
      linf: back(c.linf[r]),
      queries: c.queries[r],
      epsilon: back(c.epsilon[r]),
    },
  }));
}
