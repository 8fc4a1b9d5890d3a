/**
 * The longest stretches an extension-host CPU profile spent busy (no idle sample in between), and what ran
 * in each: the diagnostic behind the event-loop goal (see src/host/hostProfiler.ts).
 *
 *   node --import tsx scripts/host-stalls.ts <file.cpuprofile> [--top 5]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Stretch {
  startMs: number;
  ms: number;
  stacks: Map<string, number>;
}

/** Busy stretches, longest first: a stretch ends at the first "(idle)" sample. */
export function busyStretches(profile: CpuProfile): Stretch[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => {
    const f = n.callFrame;
    const where = f.url ? ` ${f.url.replace(/^.*\/(extensions|out|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'}${where}`;
  };
  const stackOf = (id: number) => {
    const names: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined && names.length < 40; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (n.callFrame.functionName !== '(root)') names.push(label(n));
    }
    return names.slice(0, 6).join(' ← ');
  };
  const stretches: Stretch[] = [];
  let t = profile.startTime;
  let current: Stretch | null = null;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000; // a sample stands for the time until the next one
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === '(idle)') {
      if (current) stretches.push(current);
      current = null;
      continue;
    }
    current ??= { startMs: (t - profile.startTime) / 1000, ms: 0, stacks: new Map() };
    current.ms += dt;
    const stack = stackOf(node.id);
    current.stacks.set(stack, (current.stacks.get(stack) ?? 0) + dt);
  }
  if (current) stretches.push(current);
  return stretches.sort((a, b) => b.ms - a.ms);
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: host-stalls <file.cpuprofile> [--top N]');
    process.exit(2);
  }
  const topIdx = process.argv.indexOf('--top');
  const top = topIdx > 0 ? Number(process.argv[topIdx + 1]) : 5;
  const stretches = busyStretches(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  for (const s of stretches.slice(0, top)) {
    console.log(`\n${s.ms.toFixed(1)} ms busy from ${(s.startMs / 1000).toFixed(2)} s`);
    const heavy = [...s.stacks.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
    for (const [stack, ms] of heavy) console.log(`  ${ms.toFixed(1).padStart(6)} ms  ${stack}`);
  }
}

if (process.argv[1]?.endsWith('host-stalls.ts')) main();
