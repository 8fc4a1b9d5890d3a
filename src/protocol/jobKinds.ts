/**
 * The engine's job kinds and each kind's options, declared once: `JOB_KINDS`, `JobKind`, the options' types
 * and their runtime checks all derive from `JOB_OPTIONS`. A new kind is one entry here, one loader in
 * src/engineProcess/runJob.ts (a Record over JobKind: tsc fails until it is there) and its engine job.
 * The engine still declares its option interfaces itself; the assertions below fail to compile when a
 * schema and the engine's interface drift apart.
 */
import type { AttackName } from '../engine/attacks/registry';
import type { AnalyseOptions } from '../engine/jobs/analyseJob';
import type { AttackJobOptions } from '../engine/jobs/attackJob';
import type { ExplainOptions } from '../engine/jobs/explainJob';
import { MAX_PATH } from './limits';
import {
  array, boolean, custom, fail, integer, nullable, number, object, oneOf, optional, record, string, tagged, type Infer, type MutuallyAssignable,
} from './schema';

const outDir = nullable(string({ max: MAX_PATH }));
const criterion = oneOf(['top1', 'top5']);
const finite = number();

/** Typed unknown as the engine's AttackSpec has it (each attack reads its own parameters); checked to be plain. */
const attackParamValue = custom((value, path): unknown => {
  if (typeof value === 'number') return finite.parse(value, path);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return fail(path, 'must be a number, string or boolean');
});

/**
 * An attack's shape only: its name and parameters are checked against the attack itself by the engine's
 * registry when the job starts. (The pure attack catalog's `validateAttackSpec` plugs in here, as a
 * `refine` of this schema, once it lands.)
 */
export const attackSpecSchema = object({
  // Typed as the engine's names; which names exist is the registry's check.
  name: string<AttackName>({ max: 32, pattern: /^[a-z0-9-]{1,32}$/, message: 'must be an attack name' }),
  params: record(attackParamValue, {
    // Parameter names are identifiers, and none that every object already has (__proto__, constructor, toString…).
    key: (k) => (/^[a-zA-Z][a-zA-Z0-9]{0,31}$/.test(k) && !(k in Object.prototype) ? null : `has a parameter name that is not an identifier: ${JSON.stringify(k.slice(0, 40))}`),
  }),
});

const attackList = array(attackSpecSchema, { min: 1, max: 64, message: 'must be a list of 1–64 attacks' });

const targetSchema = tagged('kind', {
  class: object({ kind: oneOf(['class']), class: integer({ min: -1 }), name: optional(string({ max: 1000 })) }),
  'least-likely': object({ kind: oneOf(['least-likely']) }),
}, { tagProblem: 'must be class or least-likely' });

export const JOB_OPTIONS = {
  eval: object({}),
  attack: object({
    attacks: attackList,
    criterion,
    target: nullable(targetSchema),
    gradient: oneOf(['analytic', 'estimated']),
    gallery: integer({ min: 0, max: 10_000 }),
    outDir,
  }),
  analyse: object({
    preset: oneOf(['full', 'fast']),
    attacks: nullable(attackList),
    K: integer({ min: 1, max: 10_000 }),
    radius: nullable(number({ check: (r) => r > 0 })),
    directions: oneOf(['random', 'approx']),
    cutoff: nullable(integer({ min: 0, max: 16384 })),
    epsilons: nullable(array(number({ check: (e) => e > 0 }), { min: 1, max: 64, message: 'must be a list of 1–64 numbers' })),
    outDir,
    defences: optional(array(oneOf(['post-averaging', 'low-pass']), { max: 2 })),
    analyses: optional(object({ occludedFrequency: boolean(), rct: boolean(), spectra: boolean(), sweeps: boolean() })),
    adaptiveImages: optional(integer({ min: 1 })),
    ofImages: optional(integer({ min: 1 })),
    ofBaseline: optional(oneOf(['zero', 'noise'])),
    cleanDropTolerance: optional(number({ check: (t) => t >= 0 && t <= 1 })),
    criterion: optional(criterion),
  }),
  explain: object({
    imagePath: string({ max: MAX_PATH }),
    compareModelPath: nullable(string({ max: MAX_PATH })),
    baseline: oneOf(['zero', 'noise']),
    outDir,
  }),
};

export type JobKind = keyof typeof JOB_OPTIONS;
export const JOB_KINDS = Object.keys(JOB_OPTIONS) as readonly JobKind[];

/** Job options per kind (eval has none). */
export type JobOptionsByKind = { [K in JobKind]: Infer<(typeof JOB_OPTIONS)[K]> };

// ---- the engine's interfaces must match (src/engine/jobs/*): each line fails to compile on drift ----

const _attackOptionsMatch: MutuallyAssignable<JobOptionsByKind['attack'], AttackJobOptions> = true;
const _analyseOptionsMatch: MutuallyAssignable<JobOptionsByKind['analyse'], AnalyseOptions> = true;
const _explainOptionsMatch: MutuallyAssignable<JobOptionsByKind['explain'], ExplainOptions> = true;
void [_attackOptionsMatch, _analyseOptionsMatch, _explainOptionsMatch];
