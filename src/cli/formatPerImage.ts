/** The per-image section in the terminal: one line saying what it holds and where (the table is for the panel and the JSON). */
import type { PerImageSection } from '../engine/report/sections';

export function perImageLines(s: PerImageSection): string[] {
  const rows = s.images.relPath.length;
  const saved = s.attacks.reduce((n, a) => n + a.saved.images.length, 0);
  const attacks = `${s.attacks.length} attack${s.attacks.length === 1 ? '' : 's'}`;
  const defences = s.defences.length ? `, ${s.defences.length} defence${s.defences.length === 1 ? '' : 's'}` : '';
  const examples = saved ? `; ${saved} example${saved === 1 ? '' : 's'} saved under ${s.examples.adversarial.split('/')[0]}/` : '';
  return [
    '',
    `per image  ${rows} image${rows === 1 ? '' : 's'} × ${attacks}${defences} in the report's "per-image" section${examples}. ${s.examples.note}`,
  ];
}
