/** Processes and files a run may leave behind: children of a process (from /proc) and stray temp files. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp …
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid), state });
    } catch {
      // Gone while listing.
    }
  }
  return out;
}

/** Live (not zombie) descendants of `pid`. */
export function descendantsOf(pid: number): number[] {
  const all = processes().filter((p) => p.state !== 'Z');
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const next = all.filter((p) => frontier.includes(p.ppid)).map((p) => p.pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/** Live processes in process group `pgid` (the engine process leads its own group). */
export function groupMembers(pgid: number): number[] {
  return processes()
    .filter((p) => p.pgid === pgid && p.state !== 'Z')
    .map((p) => p.pid);
}

/** Every file under `dir` whose name says it is a temp file (atomicWrite's `.<name>.<pid>.<hex>.tmp`). */
export function tempFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...tempFilesUnder(path));
    else if (/\.tmp$|\.partial$|~$/.test(name)) found.push(path);
  }
  return found;
}
