/**
 * Stage "attacks": the gradient graph (white-box attacks, adaptive attacks, approx directions) and the attack
 * suite of pass 1; its section is published once pass 1 ends.
 */
import { WHITE_BOX } from '../../attacks/registry';
import { isEngineError } from '../../errors';
import type { ClassifierGradientBuilder } from '../../grad/classifierGradient';
import { gradientBuilderFor } from '../../grad/forClassifier';
import { attackNorm } from '../../attacks/catalog';
import type { DefenceAttackRef } from '../../report/sections';
import { AttackSuite } from '../../jobs/attackSuite';
import type { AttacksSection } from '../../jobs/attackJob';
import type { AnalyseContext } from '../context';
import { curvesSection } from '../../jobs/robustnessCurvesSection';

const GALLERY_PER_ATTACK = 4;

export interface AttackStage {
  suite: AttackSuite;
  builder: ClassifierGradientBuilder | null;
  /** Why the gradient graph is unavailable (null when it was built). */
  gradientUnavailable: string | null;
  /** The suite's attacks as the defence rows name them. */
  refs: DefenceAttackRef[];
}

export async function startAttackStage(ctx: AnalyseContext): Promise<AttackStage> {
  const { classifier, plan } = ctx;
  const outputKind = classifier.outputKind?.kind ?? 'logits';
  const classes = classifier.numClasses ?? ctx.classNames.length;
  let builder: ClassifierGradientBuilder | null = null;
  let gradientUnavailable: string | null = null;
  try {
    builder = await gradientBuilderFor(ctx.prepared, outputKind, classes);
  } catch (e) {
    if (!isEngineError(e) || e.code !== 'MODEL_UNSUPPORTED') throw e;
    gradientUnavailable = e.message;
    ctx.warnings.push(
      `the model's input gradient is unavailable (${e.message}): only black-box attacks ran, and adaptive numbers are missing`,
    );
  }
  const specs = builder ? plan.attacks : plan.attacks.filter((a) => !WHITE_BOX.has(a.name));
  if (specs.length === 0) specs.push({ name: 'simba', params: { basis: 'dct' } });
  const outDir = ctx.opts.outDir;
  const suite = new AttackSuite(
    ctx.prepared,
    classifier,
    ctx.classNames,
    { attacks: specs, criterion: plan.criterion, target: null, gradient: 'analytic', gallery: outDir ? GALLERY_PER_ATTACK : 0, outDir },
    ctx.hooks.signal,
  );
  ctx.disposers.push(() => suite.dispose());
  suite.probeGradients();
  suite.start(builder);
  Object.assign(ctx.seeds, suite.seeds());
  const refs = suite.attacks.map((a, i) => ({
    label: a.label,
    mode: a.mode,
    norm: attackNorm(a.params.attack as string, a.params),
    criterion: plan.criterion,
    seed: suite.seedOf(i),
  }));
  return { suite, builder, gradientUnavailable, refs };
}

export function publishAttacks(ctx: AnalyseContext, stage: AttackStage): void {
  ctx.section('attacks', {
    kind: 'attacks',
    criterion: ctx.plan.criterion,
    gradient: 'analytic',
    notes: stage.builder?.notes ?? [],
    runs: stage.suite.summaries(),
  } satisfies AttacksSection);
  // The minimal-ε and minimal-perturbation attacks' per-image ε give the curve at no extra cost (no reruns here).
  const curves = curvesSection(stage.suite, ctx.plan.criterion, ctx.plan.epsGrid, null);
  if (curves) ctx.section('robustnessCurves', curves);
}
