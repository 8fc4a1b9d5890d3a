/**
 * Square Attack (Andriushchenko, Croce, Flammarion, Hein, ECCV 2020, "Square Attack: a query-efficient
 * black-box adversarial attack via random search", arXiv:1912.00049), L∞ and L2, untargeted (and targeted
 * when the batch carries targets). Forward passes only, never a gradient; as the authors' code
 * (max-andr/square-attack; fra31/auto-attack square.py):
 *   - the loss is the margin z_y − max_{j≠y} z_j (targeted: max_{j≠t} z_j − z_t), minimised by random search:
 *     a candidate is kept only when it lowers the loss;
 *   - the side of the square window follows the fraction p of the image's pixels, p_init halved at iterations
 *     10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 (of 10,000; scaled to the query budget);
 *   - L∞: start from vertical stripes x + ε·(±1 per channel and column); each step sets one s×s window of every
 *     channel to x ± ε (one random sign per channel), a sign draw that would leave the window unchanged
 *     redrawn (up to a few times) as the paper's code does;
 *   - L2: start from a grid of pseudo-Gaussian bumps (random sign per channel and cell) scaled to ‖δ‖₂ = ε; each
 *     step moves the mass of a second window into the first (per channel, so ‖δ‖₂ stays ε before clipping).
 * Queries are counted exactly: the starting point's evaluation is query 1, each later candidate one more, per
 * image; an image stops at success (under the run's criterion) or at its budget `maxQueries`. The windows are
 * drawn per image (as the paper's code), so every image has its own search.
 * One deviation from both reference implementations: a window's corner is drawn from all h − s + 1 positions
 * (the references' randint(0, h − s) never places a window against the last row or column).
 */
import { EngineError } from '../errors';
import type { OutputKind } from '../eval/scores';
import { attackImageShape } from './context';
import { attackDefaults } from './catalog';
import { formatEpsilon } from './format';
import { checkEpsilon } from './gradientSteps';
import type { Rng } from '../util/random';
import type { Attack, AttackBatch, AttackContext, AttackOutcome, Norm } from './types';

export interface SquareParams {
  norm: Norm;
  eps: number;
  /** Model evaluations per image, the starting point's included. */
  maxQueries: number;
  /** Initial fraction of the image's pixels a window covers (AutoAttack: 0.8). */
  pInit: number;
}

export const SQUARE_DEFAULTS: Readonly<SquareParams> = Object.freeze(attackDefaults('square') as unknown as SquareParams);

/** L∞ sign draws per window before a candidate that changes nothing is evaluated anyway. */
const REDRAWS = 10;
const TINY = 1e-12;

export function createSquare(params: Partial<SquareParams> = {}): Attack {
  const p = { ...(attackDefaults('square', params.norm ?? 'linf') as unknown as SquareParams), ...params };
  checkEpsilon('square', p.eps, p.norm);
  if (!Number.isInteger(p.maxQueries) || p.maxQueries < 1)
    throw new EngineError('USAGE', `square: maxQueries ${p.maxQueries}: expected a whole number ≥ 1 (the query budget per image)`);
  return {
    label: `Square ${p.norm === 'linf' ? 'L∞' : 'L2'} ε=${formatEpsilon(p.eps, p.norm)} ${p.maxQueries} queries`,
    mode: 'fixed-eps',
    params: { attack: 'square', ...p },
    run: (batch, ctx) => runSquare(p, batch, ctx),
  };
}

/**
 * The fraction of pixels a window covers at iteration `it` (0-based) of `budget`: the paper's schedule, p_init
 * halved at 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 iterations out of 10,000 (scaled to the budget).
 */
export function squareP(pInit: number, it: number, budget: number): number {
  const t = Math.trunc((it / budget) * 10_000);
  const cuts = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let halvings = 0;
  for (const c of cuts) if (t > c) halvings++;
  return pInit / 2 ** halvings;
}

/** The margin the attack minimises for one row (probability outputs are logged); adversarial (top-1) iff < 0. */
export function squareMargin(row: ArrayLike<number>, kind: OutputKind, cls: number, targeted: boolean): number {
  const z = (k: number) => (kind === 'probabilities' ? Math.log(Math.max(row[k], 1e-45)) : row[k]);
  let other = -Infinity;
  for (let k = 0; k < row.length; k++) if (k !== cls) other = Math.max(other, z(k));
  return targeted ? other - z(cls) : z(cls) - other;
}

// ---- the L2 window shape -------------------------------------------------------------------------------

/** x×y rectangle of nested squares around its centre, weights 1/(k+1)², unit L2 norm (the authors' helper). */
function pseudoGaussianRect(x: number, y: number): Float64Array {
  const d = new Float64Array(x * y);
  const xc = Math.floor(x / 2) + 1,
    yc = Math.floor(y / 2) + 1;
  let c0 = xc - 1,
    c1 = yc - 1;
  for (let k = 0; k < Math.max(xc, yc); k++) {
    for (let i = Math.max(c0, 0); i < Math.min(c0 + 2 * k + 1, x); i++)
      for (let j = Math.max(c1, 0); j < Math.min(c1 + 2 * k + 1, y); j++) d[i * y + j] += 1 / (k + 1) ** 2;
    c0--;
    c1--;
  }
  return normalised(d);
}

/** s×s: a bump in the upper half, its negative in the lower half, unit L2 norm, transposed with probability ½. */
export function squareBump(s: number, rng: Rng): Float64Array {
  const top = Math.floor(s / 2);
  const d = new Float64Array(s * s);
  if (top > 0) d.set(pseudoGaussianRect(top, s), 0);
  const bottom = pseudoGaussianRect(s - top, s);
  for (let k = 0; k < bottom.length; k++) d[top * s + k] = -bottom[k];
  normalised(d);
  if (rng.next() > 0.5) {
    const t = new Float64Array(s * s);
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) t[j * s + i] = d[i * s + j];
    return t;
  }
  return d;
}

function normalised(d: Float64Array): Float64Array {
  let n = 0;
  for (const v of d) n += v * v;
  n = Math.sqrt(n);
  if (n > 0) for (let k = 0; k < d.length; k++) d[k] /= n;
  return d;
}

// ---- the search ----------------------------------------------------------------------------------------

interface Geometry {
  c: number;
  h: number;
  w: number;
  per: number;
}

interface State {
  p: SquareParams;
  ctx: AttackContext;
  batch: AttackBatch;
  g: Geometry;
  kind: OutputKind;
  /** Current best point per image (count × per). */
  best: Float32Array;
  loss: Float64Array;
  queries: Float64Array;
  active: Set<number>;
}

const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
const sign = (rng: Rng) => (rng.next() < 0.5 ? -1 : 1);

/** Evaluates the candidates (one per image of `ids`) in one call; keeps improvements, retires successes. */
async function evaluate(s: State, ids: number[], candidates: Float32Array, first: boolean): Promise<void> {
  const { per } = s.g;
  const scores = await s.ctx.classifier.scores(candidates, ids.length);
  const k = scores.length / ids.length;
  const targets = s.batch.targets;
  const labels = ids.map((i) => s.batch.labels[i]);
  const tgt = targets ? ids.map((i) => targets[i]) : null;
  const adversarial = s.ctx.isAdversarial(scores, labels, tgt);
  ids.forEach((i, r) => {
    s.queries[i]++;
    const row = scores.subarray(r * k, (r + 1) * k);
    const loss = squareMargin(row, s.kind, tgt ? tgt[r] : labels[r], tgt !== null);
    // Only improvements are accepted (the first evaluation sets the start); an adversarial candidate is kept.
    if (first || loss < s.loss[i] || adversarial[r]) {
      s.loss[i] = loss;
      s.best.set(candidates.subarray(r * per, (r + 1) * per), i * per);
      if (adversarial[r]) s.active.delete(i);
    }
  });
}

/** L∞ start: vertical stripes, x + ε·(±1 per image, channel and column), clipped. */
function linfStart(s: State, i: number, out: Float32Array): void {
  const { c, h, w, per } = s.g;
  const [lo, hi] = s.ctx.range;
  const x = s.batch.pixels.subarray(i * per, (i + 1) * per);
  for (let ch = 0; ch < c; ch++)
    for (let col = 0; col < w; col++) {
      const d = s.p.eps * sign(s.ctx.rng);
      for (let row = 0; row < h; row++) {
        const j = ch * h * w + row * w + col;
        out[j] = clip(x[j] + d, lo, hi);
      }
    }
}

/** L2 start: a grid of bumps (cells of side h/5, random sign per channel and cell), scaled to ‖δ‖₂ = ε, clipped. */
function l2Start(s: State, i: number, out: Float32Array): void {
  const { c, h, w, per } = s.g;
  const [lo, hi] = s.ctx.range;
  const x = s.batch.pixels.subarray(i * per, (i + 1) * per);
  const delta = new Float64Array(per);
  const side = Math.max(1, Math.floor(h / 5));
  const start = Math.max(0, Math.floor((h - side * 5) / 2));
  for (let ch = 0; ch < c; ch++) {
    for (let vh = start, a = 0; a < Math.floor(h / side); a++, vh += side)
      for (let vw = start, b = 0; b < Math.floor(w / side); b++, vw += side) {
        const bump = squareBump(side, s.ctx.rng);
        const sg = sign(s.ctx.rng);
        for (let r = 0; r < side && vh + r < h; r++)
          for (let q = 0; q < side && vw + q < w; q++) delta[ch * h * w + (vh + r) * w + vw + q] += sg * bump[r * side + q];
      }
  }
  writeL2(x, delta, s.p.eps, lo, hi, out);
}

/** out ← clip(x + ε·δ/‖δ‖₂). */
function writeL2(x: Float32Array, delta: Float64Array, eps: number, lo: number, hi: number, out: Float32Array): void {
  let n = 0;
  for (const v of delta) n += v * v;
  const f = eps / (Math.sqrt(n) + TINY);
  for (let j = 0; j < delta.length; j++) out[j] = clip(x[j] + f * delta[j], lo, hi);
}

/** The side of the window at iteration `it`: √(p·h·w) rounded (L2: ≥ 3 and odd), at most the image's side. */
function windowSide(s: State, it: number): number {
  const { h, w } = s.g;
  const p = squareP(s.p.pInit, it, s.p.maxQueries);
  let side = Math.round(Math.sqrt(p * h * w));
  if (s.p.norm === 'linf') side = Math.max(side, 1);
  else {
    side = Math.max(side, 3);
    if (side % 2 === 0) side++;
  }
  return Math.min(side, h, w);
}

/** L∞ candidate: the current best with one s×s window of every channel set to x ± ε (random sign per channel). */
function linfCandidate(s: State, i: number, side: number, out: Float32Array): void {
  const { c, h, w, per } = s.g;
  const [lo, hi] = s.ctx.range;
  const { eps } = s.p;
  const x = s.batch.pixels.subarray(i * per, (i + 1) * per);
  const best = s.best.subarray(i * per, (i + 1) * per);
  out.set(best);
  const vh = s.ctx.rng.int(h - side + 1),
    vw = s.ctx.rng.int(w - side + 1);
  for (let ch = 0; ch < c; ch++) {
    // A sign whose window equals the current one would waste the query: redrawn, as the authors' code does.
    for (let tries = 0; tries < REDRAWS; tries++) {
      const d = 2 * eps * sign(s.ctx.rng);
      let changed = false;
      for (let r = 0; r < side; r++)
        for (let q = 0; q < side; q++) {
          const j = ch * h * w + (vh + r) * w + vw + q;
          const v = Math.fround(clip(clip(best[j] + d, x[j] - eps, x[j] + eps), lo, hi));
          out[j] = v;
          if (v !== best[j]) changed = true;
        }
      if (changed) break;
    }
  }
}

/**
 * L2 candidate (the authors' update): per channel, window 1 gets a fresh bump plus its old direction, scaled to
 * carry the mass of windows 1 and 2 and the unused budget ε² − ‖δ‖² (shared over the channels); window 2 is
 * zeroed; the whole δ is rescaled to ‖δ‖₂ = ε and the image clipped.
 */
function l2Candidate(s: State, i: number, side: number, out: Float32Array): void {
  const { c, h, w, per } = s.g;
  const [lo, hi] = s.ctx.range;
  const { eps } = s.p;
  const rng = s.ctx.rng;
  const x = s.batch.pixels.subarray(i * per, (i + 1) * per);
  const best = s.best.subarray(i * per, (i + 1) * per);
  const delta = new Float64Array(per);
  let image = 0;
  for (let j = 0; j < per; j++) {
    delta[j] = best[j] - x[j];
    image += delta[j] * delta[j];
  }
  const v1h = rng.int(h - side + 1),
    v1w = rng.int(w - side + 1);
  const v2h = rng.int(h - side + 1),
    v2w = rng.int(w - side + 1);
  const in1 = (r: number, q: number) => r >= v1h && r < v1h + side && q >= v1w && q < v1w + side;
  const in2 = (r: number, q: number) => r >= v2h && r < v2h + side && q >= v2w && q < v2w + side;
  const bump = squareBump(side, rng);
  const spare = Math.max(eps * eps - image, 0) / c;
  const fresh = new Float64Array(side * side);
  for (let ch = 0; ch < c; ch++) {
    const at = (r: number, q: number) => ch * h * w + r * w + q;
    let window1 = 0,
      windows = 0;
    for (let r = 0; r < h; r++)
      for (let q = 0; q < w; q++) {
        const d2 = delta[at(r, q)] ** 2;
        if (in1(r, q)) window1 += d2;
        if (in1(r, q) || in2(r, q)) windows += d2;
      }
    const old = Math.sqrt(window1) + TINY;
    const sg = sign(rng);
    let n = 0;
    for (let r = 0; r < side; r++)
      for (let q = 0; q < side; q++) {
        const v = sg * bump[r * side + q] + delta[at(v1h + r, v1w + q)] / old;
        fresh[r * side + q] = v;
        n += v * v;
      }
    const scale = Math.sqrt(spare + windows) / (Math.sqrt(n) + TINY);
    for (let r = v2h; r < v2h + side; r++) for (let q = v2w; q < v2w + side; q++) delta[at(r, q)] = 0;
    for (let r = 0; r < side; r++) for (let q = 0; q < side; q++) delta[at(v1h + r, v1w + q)] = fresh[r * side + q] * scale;
  }
  writeL2(x, delta, eps, lo, hi, out);
}

async function runSquare(p: SquareParams, batch: AttackBatch, ctx: AttackContext): Promise<AttackOutcome> {
  const { count } = batch;
  const per = ctx.pixelsPerImage;
  const [lo, hi] = ctx.range;
  if (p.norm === 'linf' && p.eps > hi - lo)
    throw new EngineError('USAGE', `square: L∞ ε ${p.eps} exceeds the pixel range width ${hi - lo}: every image would be reachable`);
  const shape = attackImageShape(ctx, 'square');
  const g: Geometry = { c: shape.channels, h: shape.height, w: shape.width, per };
  const s: State = {
    p,
    ctx,
    batch,
    g,
    kind: ctx.classifier.outputKind?.kind ?? 'logits',
    best: Float32Array.from(batch.pixels.subarray(0, count * per)),
    loss: new Float64Array(count).fill(Infinity),
    queries: new Float64Array(count),
    active: new Set(Array.from({ length: count }, (_, i) => i)),
  };
  if (count === 0 || ctx.signal?.aborted) return { adversarial: s.best, queries: s.queries };

  const all = [...s.active];
  const start = new Float32Array(count * per);
  for (const i of all) (p.norm === 'linf' ? linfStart : l2Start)(s, i, start.subarray(i * per, (i + 1) * per));
  await evaluate(s, all, start, true);
  s.kind = ctx.classifier.outputKind?.kind ?? s.kind;

  // Query 1 was the start; iteration it (1 … maxQueries − 1) is each remaining image's query it + 1.
  for (let it = 1; it < p.maxQueries && s.active.size > 0; it++) {
    if (ctx.signal?.aborted) break;
    const ids = [...s.active];
    const side = windowSide(s, it - 1);
    const candidates = new Float32Array(ids.length * per);
    ids.forEach((i, r) => (p.norm === 'linf' ? linfCandidate : l2Candidate)(s, i, side, candidates.subarray(r * per, (r + 1) * per)));
    await evaluate(s, ids, candidates, false);
  }
  return { adversarial: s.best, queries: s.queries };
}
