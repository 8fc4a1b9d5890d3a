/**
 * SimBA — Simple Black-box Adversarial attack (Guo, Gardner, You, Wilson, Weinberger, ICML 2019,
 * "Simple Black-box Adversarial Attacks", arXiv:1905.07121). Forward passes only, never a gradient.
 *
 * Directions q are drawn without replacement from an orthonormal basis Q: 'pixel' (one pixel of one
 * channel) or 'dct' (2-D DCT-II basis images per channel, lowest `freqFraction` of each axis first, then
 * higher bands). With the perturbation δ (x_adv = clip(x + δ)), each iteration tries δ + εq and keeps it if
 * the true class's probability p_y drops (targeted: the target's p_t rises); otherwise it tries δ − εq;
 * otherwise δ stays. The directions are orthonormal, so after T accepted steps ‖δ‖₂ = ε√T (before clipping).
 * An image stops at success, at its query budget, or when a whole pass over the basis changed nothing
 * (then every further pass would repeat the same probes). When the basis is exhausted before that, a new
 * pass starts with a fresh order (the paper stops after one pass; this lets small images use the budget).
 *
 * As the authors' batched code, δ accumulates unclipped and each candidate is clip(x + proj(δ ± εq)), where
 * proj clips to the optional L∞ bound; probes whose candidate equals the current image are skipped and cost
 * no query. All images share one basis order (as the authors' batch code), so an image's trajectory does not
 * depend on which other images are in the batch.
 */
import { EngineError } from '../errors';
import { attackDefaults } from './catalog';
import type { OutputKind } from '../eval/scores';
import { attackImageShape } from './context';
import { basisImage, lowFrequencyOrder } from '../spectral/dct';
import type { Rng } from '../util/random';
import type { Attack, AttackBatch, AttackContext, AttackOutcome } from './types';

export type SimbaBasis = 'pixel' | 'dct';

export interface SimbaParams {
  /** Search directions: single pixels/channels, or DCT basis images (low frequencies first). */
  basis: SimbaBasis;
  /** Step along each direction (L2 length of one step; pixel units, range [0,1] by default). */
  epsilon: number;
  /** Model evaluations per image, including the first evaluation of the clean image. */
  maxQueries: number;
  /** Optional L∞ bound on x_adv − x; null = none (only the pixel range). */
  linf: number | null;
  /** DCT basis: the lowest fraction of each axis searched first (the paper's SimBA-DCT uses 1/8). */
  freqFraction: number;
}

/**
 * ε = 0.2 and the 1/8 low-frequency block are the paper's. The budget of 10,000 queries per image is far
 * above what SimBA needs on the 28×28 shared models (medians 100–520, maxima ≤ 1,400, all broken) and
 * above the paper's ImageNet averages (low thousands), so failures mean robustness, not a short budget.
 * DCT is the default basis: the paper's more query-efficient variant (also here: fewer queries, smaller L2).
 */
export const SIMBA_DEFAULTS: Readonly<SimbaParams> = Object.freeze(attackDefaults('simba') as unknown as SimbaParams);

const KNOWN = new Set(Object.keys(SIMBA_DEFAULTS));

function usage(param: string, value: unknown, expected: string): EngineError {
  return new EngineError('USAGE', `simba: ${param} ${String(value)}: expected ${expected}`);
}

/** Checks the parameters that do not depend on the pixel range (the rest is checked at run time). */
export function validateSimbaParams(params: Partial<SimbaParams>): SimbaParams {
  for (const key of Object.keys(params)) {
    if (!KNOWN.has(key)) throw new EngineError('USAGE', `simba: unknown parameter "${key}": expected one of ${[...KNOWN].join(', ')}`);
  }
  const p: SimbaParams = { ...SIMBA_DEFAULTS, ...params };
  if (p.basis !== 'pixel' && p.basis !== 'dct') throw usage('basis', p.basis, "'pixel' or 'dct'");
  if (typeof p.epsilon !== 'number' || !Number.isFinite(p.epsilon) || p.epsilon <= 0)
    throw usage('epsilon', p.epsilon, 'a finite step > 0 (e.g. 0.2)');
  if (!Number.isInteger(p.maxQueries) || p.maxQueries < 2) {
    throw usage('maxQueries', p.maxQueries, 'an integer ≥ 2 (the first query evaluates the clean image)');
  }
  if (p.linf !== null && (typeof p.linf !== 'number' || !Number.isFinite(p.linf) || p.linf <= 0)) {
    throw usage('linf', p.linf, 'an L∞ bound > 0, or null for none');
  }
  if (typeof p.freqFraction !== 'number' || !(p.freqFraction > 0 && p.freqFraction <= 1)) {
    throw usage('freqFraction', p.freqFraction, 'a fraction in (0, 1] of each image axis (e.g. 0.125)');
  }
  return p;
}

function checkAgainstRange(p: SimbaParams, range: [number, number]): void {
  const width = range[1] - range[0];
  if (p.epsilon > width) throw usage('epsilon', p.epsilon, `a step ≤ the pixel range width ${width}`);
  if (p.linf !== null && p.linf > width) throw usage('linf', p.linf, `a bound ≤ the pixel range width ${width}`);
}

export function createSimba(params: Partial<SimbaParams> = {}): Attack {
  const p = validateSimbaParams(params);
  const name = p.basis === 'dct' ? 'SimBA-DCT' : 'SimBA';
  const label = `${name} ε=${fmt(p.epsilon)}${p.linf !== null ? ` L∞≤${fmt(p.linf)}` : ''} ${p.maxQueries} queries`;
  return {
    label,
    mode: 'query-limited',
    params: { attack: 'simba', ...p },
    run: (batch, ctx) => runSimba(p, batch, ctx),
  };
}

function fmt(x: number): string {
  return Number.isInteger(x * 255) && !Number.isInteger(x * 10) ? `${Math.round(x * 255)}/255` : String(x);
}

// ---- objective --------------------------------------------------------------------------------------

/**
 * The quantity SimBA decreases, for one row of model outputs: untargeted logit(p_y) = z_y − log Σ_{j≠y} e^{z_j};
 * targeted −logit(p_t). Strictly monotone in p_y (p_t), so its comparisons are the paper's probability
 * comparisons, but it does not saturate in float arithmetic when p ≈ 1. z = logits or log-probabilities
 * (probability outputs are logged, floored at 1e-45).
 */
export function simbaLoss(row: ArrayLike<number>, kind: OutputKind, cls: number, targeted: boolean): number {
  const z = (k: number) => (kind === 'probabilities' ? Math.log(Math.max(row[k], 1e-45)) : row[k]);
  let max = -Infinity;
  for (let k = 0; k < row.length; k++) if (k !== cls) max = Math.max(max, z(k));
  let sum = 0;
  for (let k = 0; k < row.length; k++) if (k !== cls) sum += Math.exp(z(k) - max);
  const lseOthers = max + Math.log(sum);
  return targeted ? lseOthers - z(cls) : z(cls) - lseOthers;
}

// ---- basis ------------------------------------------------------------------------------------------

interface Geometry {
  channels: number;
  height: number;
  width: number;
  per: number;
}

/** One pass's order of basis coordinates: a random permutation (pixel) or low frequencies first (dct). */
export function basisOrder(basis: SimbaBasis, g: Geometry, freqFraction: number, rng: Rng): Int32Array {
  if (basis === 'dct') return lowFrequencyOrder(g.channels, g.height, g.width, freqFraction, rng);
  const order = Int32Array.from({ length: g.per }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** A unit basis vector as its support: values on pixels [start, start + values.length). */
interface Direction {
  start: number;
  values: Float64Array;
}

function direction(basis: SimbaBasis, coord: number, g: Geometry): Direction {
  if (basis === 'pixel') return { start: coord, values: Float64Array.of(1) };
  const hw = g.height * g.width;
  const u = Math.floor((coord % hw) / g.width),
    v = coord % g.width;
  return { start: Math.floor(coord / hw) * hw, values: basisImage(u, v, g.height, g.width) };
}

// ---- state ------------------------------------------------------------------------------------------

interface SimbaState {
  p: SimbaParams;
  ctx: AttackContext;
  batch: AttackBatch;
  per: number;
  kind: OutputKind;
  /** Unclipped accumulated perturbation, count × per. */
  delta: Float32Array;
  /** Current image clip(x + proj(δ)), count × per. */
  adv: Float32Array;
  loss: Float64Array;
  queries: Float64Array;
  /** Steps accepted by each image in the current pass over the basis. */
  acceptedInPass: Uint32Array;
  active: Set<number>;
}

/** Candidate value of one pixel for perturbation d, in float32: clip(x + clip(d, ±linf), lo, hi). */
function candidatePixel(x: number, d: number, linf: number | null, lo: number, hi: number): number {
  const dd = linf === null ? d : d < -linf ? -linf : d > linf ? linf : d;
  const v = x + dd;
  return Math.fround(v < lo ? lo : v > hi ? hi : v);
}

/** Writes image i's candidate for δ + s·ε·q into out (per values); false when it equals the current image. */
function writeCandidate(s: SimbaState, i: number, q: Direction, sign: number, out: Float32Array): boolean {
  const { per } = s;
  const [lo, hi] = s.ctx.range;
  const base = i * per;
  out.set(s.adv.subarray(base, base + per));
  const step = sign * s.p.epsilon;
  let changed = false;
  for (let k = 0; k < q.values.length; k++) {
    const j = base + q.start + k;
    // δ is float32: the candidate uses the rounded δ + s·ε·q that accept() will store.
    const v = candidatePixel(s.batch.pixels[j], Math.fround(s.delta[j] + step * q.values[k]), s.p.linf, lo, hi);
    out[q.start + k] = v;
    if (v !== s.adv[j]) changed = true;
  }
  return changed;
}

function accept(s: SimbaState, i: number, q: Direction, sign: number, candidate: Float32Array, loss: number): void {
  const base = i * s.per;
  const step = sign * s.p.epsilon;
  for (let k = 0; k < q.values.length; k++) s.delta[base + q.start + k] += step * q.values[k];
  s.adv.set(candidate, base);
  s.loss[i] = loss;
  s.acceptedInPass[i]++;
}

function lossOf(s: SimbaState, scores: Float32Array, row: number, classes: number, i: number): number {
  const targeted = s.batch.targets !== null;
  const cls = targeted ? s.batch.targets![i] : s.batch.labels[i];
  return simbaLoss(scores.subarray(row * classes, (row + 1) * classes), s.kind, cls, targeted);
}

/** Deactivates the images among `ids` whose rows in `scores` are adversarial. */
function retireSuccessful(s: SimbaState, ids: number[], rows: Float32Array): void {
  if (ids.length === 0) return;
  const targets = s.batch.targets;
  const hit = s.ctx.isAdversarial(
    rows,
    ids.map((i) => s.batch.labels[i]),
    targets ? ids.map((i) => targets[i]) : null,
  );
  ids.forEach((i, k) => {
    if (hit[k]) s.active.delete(i);
  });
}

/**
 * Probes δ + sign·ε·q for the images `ids` in one scores() call; accepts improvements. Returns the images
 * whose probe did not improve (including skipped probes, whose candidate equalled the current image).
 */
async function probe(s: SimbaState, ids: number[], q: Direction, sign: number): Promise<number[]> {
  const { per } = s;
  const buf = new Float32Array(ids.length * per);
  const evaluated: number[] = [];
  const rest: number[] = [];
  for (const i of ids) {
    const slot = buf.subarray(evaluated.length * per, (evaluated.length + 1) * per);
    if (writeCandidate(s, i, q, sign, slot)) evaluated.push(i);
    else rest.push(i);
  }
  if (evaluated.length === 0) return rest;
  const scores = await s.ctx.classifier.scores(buf.subarray(0, evaluated.length * per), evaluated.length);
  const classes = scores.length / evaluated.length;
  const accepted: number[] = [];
  const acceptedRows = new Float32Array(evaluated.length * classes);
  evaluated.forEach((i, row) => {
    s.queries[i]++;
    const loss = lossOf(s, scores, row, classes, i);
    if (loss < s.loss[i]) {
      accept(s, i, q, sign, buf.subarray(row * per, (row + 1) * per), loss);
      acceptedRows.set(scores.subarray(row * classes, (row + 1) * classes), accepted.length * classes);
      accepted.push(i);
    } else rest.push(i);
  });
  retireSuccessful(s, accepted, acceptedRows.subarray(0, accepted.length * classes));
  return rest.filter((i) => s.active.has(i));
}

/** The first query: the loss of every clean image; images already adversarial are done. */
async function initialise(s: SimbaState, count: number): Promise<void> {
  const scores = await s.ctx.classifier.scores(s.adv, count);
  const classes = scores.length / count;
  const ids = Array.from({ length: count }, (_, i) => i);
  s.kind = s.ctx.classifier.outputKind?.kind ?? 'logits';
  for (const i of ids) {
    s.queries[i] = 1;
    s.loss[i] = lossOf(s, scores, i, classes, i);
  }
  retireSuccessful(s, ids, scores);
}

/** At the end of a pass: images that accepted nothing would only repeat the same probes, so they stop. */
function endPass(s: SimbaState): void {
  for (const i of [...s.active]) if (s.acceptedInPass[i] === 0) s.active.delete(i);
  s.acceptedInPass.fill(0);
}

async function runSimba(p: SimbaParams, batch: AttackBatch, ctx: AttackContext): Promise<AttackOutcome> {
  checkAgainstRange(p, ctx.range);
  const { count } = batch;
  const per = ctx.pixelsPerImage;
  const g: Geometry = { ...attackImageShape(ctx, 'simba'), per };
  const s: SimbaState = {
    p,
    ctx,
    batch,
    per,
    kind: 'logits',
    delta: new Float32Array(count * per),
    adv: Float32Array.from(batch.pixels.subarray(0, count * per)),
    loss: new Float64Array(count),
    queries: new Float64Array(count),
    acceptedInPass: new Uint32Array(count),
    active: new Set(Array.from({ length: count }, (_, i) => i)),
  };
  if (count === 0) return { adversarial: s.adv, queries: s.queries };
  await initialise(s, count);
  let order = basisOrder(p.basis, g, p.freqFraction, ctx.rng);
  let k = 0;
  while (s.active.size > 0 && !ctx.signal?.aborted) {
    if (k === order.length) {
      endPass(s);
      if (s.active.size === 0) break;
      order = basisOrder(p.basis, g, p.freqFraction, ctx.rng);
      k = 0;
    }
    const q = direction(p.basis, order[k++], g);
    const plusFailed = await probe(s, withBudget(s), q, +1);
    await probe(
      s,
      plusFailed.filter((i) => s.queries[i] < p.maxQueries),
      q,
      -1,
    );
    for (const i of [...s.active]) if (s.queries[i] >= p.maxQueries) s.active.delete(i);
  }
  return { adversarial: s.adv, queries: s.queries };
}

function withBudget(s: SimbaState): number[] {
  return [...s.active].filter((i) => s.queries[i] < s.p.maxQueries);
}
