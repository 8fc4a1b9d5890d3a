/**
 * The messages a model view (the read-only editor of a .onnx file) sends to the host, declared once as
 * schemas. The view is a plain HTML page whose buttons post these; the host trusts none of them: every one
 * goes through `parseModelViewMessage`, and a run it is asked to open must be one the view was shown.
 * Must stay free of `vscode` and Node imports, like the other protocol modules.
 */
import { check, literal, object, plainObjectProblem, refine, string, tagged, type Infer } from './schema';

/** The page has loaded (the host may answer with fresh content). */
const readyMessage = object({ type: literal('ready') });
/** Run Analyse Robustness on the view's model. */
const analyseMessage = object({ type: literal('analyse') });
/** Run Quick Attack Check on the view's model. */
const quickCheckMessage = object({ type: literal('quick-check') });
/** Read the model again (after an error, or after the file or its robustness.json changed). */
const reloadMessage = object({ type: literal('reload') });
/** Open a recent run's panel: a run folder name, never a path. */
const openRunMessage = object({
  type: literal('open-run'),
  runId: refine(string({ max: 200, message: 'must be a run folder name' }), (id) =>
    /^[A-Za-z0-9._-]+$/.test(id) && !id.includes('..') ? null : 'must be a run folder name',
  ),
});

export const modelViewToHostSchema = tagged('type', {
  ready: readyMessage,
  analyse: analyseMessage,
  'quick-check': quickCheckMessage,
  reload: reloadMessage,
  'open-run': openRunMessage,
});

export type ModelViewMessage = Infer<typeof modelViewToHostSchema>;
export type ModelViewAction = ModelViewMessage['type'];

export type ModelViewParse = { ok: true; message: ModelViewMessage } | { ok: false; reason: string };

/** Validates a message from a model view. */
export function parseModelViewMessage(value: unknown): ModelViewParse {
  const notPlain = plainObjectProblem(value);
  if (notPlain) return { ok: false, reason: `not ${notPlain}` };
  const type = (value as { type?: unknown }).type;
  if (!modelViewToHostSchema.tags.includes(type as never)) return { ok: false, reason: `unknown message type ${JSON.stringify(type)}` };
  const checked = check(modelViewToHostSchema, value);
  return checked.ok ? { ok: true, message: checked.value } : { ok: false, reason: `${String(type)}: ${checked.reason}` };
}
