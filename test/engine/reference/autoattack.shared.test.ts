/**
 * Issue #15: our AutoAttack ensemble against the authors' (fra31/auto-attack, version 'standard': APGD-CE, APGD-T,
 * FAB-T, Square 5,000 queries) on the same shared model, images, norm and ε — test/fixtures/reference/autoattack.json,
 * made by scripts/reference/autoattack_reference.py; L∞ and L2 rows. Ours runs the same four attacks, so the
 * standard cascade is the reference; the authors' cascade without FAB-T (`withoutFab`), where the file has it, is
 * reported beside it. Ours must not be more than 1 pt above the reference's robust accuracy (a weaker ensemble overstates
 * robustness; being lower is fine: every image it breaks is a real adversarial example, checked inside the ε-ball
 * by the attack), and never above our own PGD's on the same images.
 * Each configuration runs the whole cascade (tens of seconds to minutes on 2 cores): by default only the cheap ones
 * in DEFAULT run (most images fall to APGD-CE, so the later attacks see few); ROBUSTNESS_LENS_REFERENCE_ALL=1 runs
 * every configuration of the reference file.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { autoAttackSuite } from '../../../src/engine/attacks/ensemble';
import type { Norm } from '../../../src/engine/attacks/types';
import { runAttackJob, type AttackJobOptions, type AttacksSection } from '../../../src/engine/jobs/attackJob';
import { imageFolder, loadReference, sharedModelRequest } from '../../helpers/referenceData';

interface ReferenceRun {
  robustCorrect: number;
  cleanCorrect: number;
}

interface Reference {
  results: {
    model: string;
    norm: Norm;
    eps: number;
    epsText: string;
    images: string[];
    standard: ReferenceRun;
    /** The same cascade without FAB-T (APGD-CE, APGD-T, Square: our ensemble's attacks), where the driver ran it. */
    withoutFab?: ReferenceRun;
  }[];
}

const TOLERANCE = 0.01;
const ALL = process.env.ROBUSTNESS_LENS_REFERENCE_ALL === '1';
const DEFAULT = new Set(['mnist-mlp linf 0.1', 'mnist-cnn linf 0.2']);
/**
 * Rows where ours, at its seed, is known to be more than 1 pt above the reference, and why: they still run (with
 * ROBUSTNESS_LENS_REFERENCE_ALL=1) and report, as a todo, not as a pass (test/fixtures/reference/README.md, L2).
 */
const KNOWN: Record<string, string> = {};
const { data: ref, skip } = loadReference<Reference>('autoattack.json');
const folders: string[] = [];
after(() => folders.forEach((d) => rmSync(d, { recursive: true, force: true })));

const base: Omit<AttackJobOptions, 'attacks'> = {
  criterion: 'top1',
  target: null,
  gradient: 'analytic',
  gallery: 0,
  outDir: null,
};

describe("AutoAttack vs the authors' implementation (fra31/auto-attack, standard)", { skip }, () => {
  for (const r of ref?.results ?? []) {
    const name = `${r.model} ${r.norm} ε=${r.epsText}`;
    const runIt = ALL || DEFAULT.has(`${r.model} ${r.norm} ${r.eps}`);
    it(
      `${name}: ensemble ≤ reference + 1 pt, and ≤ our PGD`,
      {
        skip: runIt ? false : 'a long configuration: ROBUSTNESS_LENS_REFERENCE_ALL=1 runs it',
        todo: KNOWN[`${r.model} ${r.norm} ${r.eps}`],
      },
      async (t) => {
        const dir = imageFolder(r.images);
        folders.push(dir);
        const req = sharedModelRequest(r.model, dir);
        const ens = (
          await runAttackJob(req, {
            ...base,
            attacks: autoAttackSuite('standard', r.norm, r.eps),
            ensemble: { name: 'autoattack', version: 'standard' },
          })
        ).sections.attacks as AttacksSection;
        const e = ens.ensemble!;
        // Ours is the authors' standard cascade (APGD-CE, APGD-T, FAB-T, Square); their FAB-less run, where the
        // file has one, is reported beside it.
        const [cascade, run] = ['standard', r.standard] as const;
        const reference = run.robustCorrect / r.images.length;
        assert.equal(e.complete, true);
        assert.equal(e.evaluated, r.images.length, 'the same images');
        assert.equal(e.cleanCorrect, run.cleanCorrect, 'the same clean-correct images');
        assert.ok(
          e.robustAccuracy <= reference + TOLERANCE + 1e-9,
          `${name}: ours ${(100 * e.robustAccuracy).toFixed(1)} % > reference (${cascade}) ${(100 * reference).toFixed(1)} % + 1 pt`,
        );
        const pgd = (await runAttackJob(req, { ...base, attacks: [{ name: 'pgd', params: { norm: r.norm, eps: r.eps } }] })).sections
          .attacks as AttacksSection;
        const p = pgd.runs[0].attacked.top1Accuracy;
        t.diagnostic(
          `${name}: ours ${(100 * e.robustAccuracy).toFixed(1)} % (${e.attacks.map((a) => `${a.label} ${a.seconds.toFixed(1)} s`).join(', ')}), ` +
            `reference (${cascade}) ${(100 * reference).toFixed(1)} %` +
            (r.withoutFab ? ` (without FAB-T ${((100 * r.withoutFab.robustCorrect) / r.images.length).toFixed(1)} %)` : '') +
            `, our PGD ${(100 * p).toFixed(1)} %`,
        );
        assert.ok(e.robustAccuracy <= p, `${name}: ensemble ${e.robustAccuracy} > our PGD ${p}`);
      },
    );
  }
});
