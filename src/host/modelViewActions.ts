/**
 * What the host does for a message from a model view: validated first (src/protocol/modelViewMessages.ts),
 * then mapped to one of a closed set of actions. A run is opened only if the view was shown it, so a page
 * cannot name an arbitrary folder. No `vscode` import: unit-tested directly.
 */
import { parseModelViewMessage } from '../protocol/modelViewMessages';

export type ModelViewAction =
  | { kind: 'command'; command: 'robustnessLens.analyse' | 'robustnessLens.quickCheck' }
  | { kind: 'open-run'; runId: string }
  | { kind: 'reload' }
  | { kind: 'ready' };

export type ModelViewDecision = { ok: true; action: ModelViewAction } | { ok: false; reason: string };

export function modelViewAction(raw: unknown, shownRunIds: readonly string[]): ModelViewDecision {
  const parsed = parseModelViewMessage(raw);
  if (!parsed.ok) return parsed;
  const m = parsed.message;
  switch (m.type) {
    case 'analyse':
      return { ok: true, action: { kind: 'command', command: 'robustnessLens.analyse' } };
    case 'quick-check':
      return { ok: true, action: { kind: 'command', command: 'robustnessLens.quickCheck' } };
    case 'open-run':
      return shownRunIds.includes(m.runId)
        ? { ok: true, action: { kind: 'open-run', runId: m.runId } }
        : { ok: false, reason: `open-run: ${JSON.stringify(m.runId)} is not a run this view lists` };
    case 'reload':
      return { ok: true, action: { kind: 'reload' } };
    case 'ready':
      return { ok: true, action: { kind: 'ready' } };
  }
}
