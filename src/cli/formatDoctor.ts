/** `doctor`'s report as text: a table of providers × steps, then per provider what works and why not. */
import type { DoctorReport, DoctorStep, ProviderDiagnosis } from '../engine/runtime/doctor';

function cell(step: DoctorStep): string {
  if (step.status === 'skipped') return '—';
  const ms = step.ms === undefined ? '' : ` ${step.ms < 10 ? step.ms.toFixed(1) : step.ms.toFixed(0)} ms`;
  return step.status === 'ok' ? `ok${ms}` : 'FAILED';
}

function inBuild(p: ProviderDiagnosis): string {
  if (!p.inBuild) return 'no';
  return p.bundled === false ? 'yes (download)' : 'yes';
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `onnxruntime-node ${r.onnxruntime}, ${r.platform}/${r.arch}, node ${r.node}`,
    `native folder  ${r.binFolder ?? '(not found)'}`,
    `install flag   ${r.installFlag ?? '(unset)'}  (ONNXRUNTIME_NODE_INSTALL / npm config onnxruntime-node-install)`,
    `gradient step  ${r.gradientModel.path ?? `skipped: ${r.gradientModel.note}`}`,
    '',
    `${'provider'.padEnd(10)} ${'in build'.padEnd(15)} ${'session'.padEnd(11)} ${'forward'.padEnd(11)} ${'gradient'.padEnd(11)} works`,
  ];
  for (const p of r.providers) {
    lines.push(
      `${p.name.padEnd(10)} ${inBuild(p).padEnd(15)} ${cell(p.session).padEnd(11)} ${cell(p.forward).padEnd(11)} ${cell(p.gradient).padEnd(11)} ${p.works ? 'yes' : 'no'}`,
    );
  }
  lines.push('');
  for (const p of r.providers) {
    const note = p.selectable ? '' : ' (not an --ep choice)';
    if (p.works) {
      lines.push(`${p.name}: works${note}`);
      for (const s of [p.forward, p.gradient]) if (s.detail) lines.push(`  ${s.detail}`);
      continue;
    }
    lines.push(`${p.name}: does not work${note} — ${p.reason ?? 'unknown reason'}`);
    if (p.hint) lines.push(`  how to fix: ${p.hint}`);
    const missing = p.libraries.filter((l) => !l.found);
    const found = p.libraries.filter((l) => l.found);
    if (missing.length) lines.push(`  missing: ${missing.map((l) => `${l.file}${l.where === 'package' ? ' (package)' : ''}`).join(', ')}`);
    if (found.length && missing.length) lines.push(`  found:   ${found.map((l) => l.file).join(', ')}`);
    const error = [p.session, p.forward, p.gradient].find((s) => s.status === 'failed')?.error;
    if (error && error !== p.reason) lines.push(`  onnxruntime said: ${error.split('\n')[0]}`);
  }
  lines.push('');
  if (!r.cpuWorks) lines.push('CPU does not work: every run will fail (see the cpu line above).');
  else if (r.accelerators.length) lines.push(`GPU: --ep ${r.accelerators[0]} works here (${r.accelerators.join(', ')}).`);
  else
    lines.push(
      'GPU: no GPU provider works here; runs use the CPU (--ep cuda/webgpu fall back to it with a note in the report; --ep-strict fails instead).',
    );
  return lines.join('\n');
}
