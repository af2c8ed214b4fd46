// CPU time per process group during a phase (Linux /proc): the server under test, the PostgreSQL
// processes serving the benchmark's database, this process (the load generator), and everything else
// on the machine (other users' work makes a run noisy; the report says how much there was).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuShares {
  server: number;
  postgres: number;
  loadGenerator: number;
  /** Busy cores not accounted to the server or PostgreSQL (the load generator included). */
  other: number;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process ended meanwhile, or no /proc
  }
}

function processTicks(pid: number | string): number {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return 0;
  // utime and stime are fields 14 and 15 of the line, i.e. 12 and 13 after "pid (comm)".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Busy ticks of the whole machine (all cores): everything but idle and iowait. */
function machineTicks(): number {
  const line = read('/proc/stat')?.split('\n')[0];
  if (!line) return 0;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq + (steal ?? 0);
}

/** Ticks of PostgreSQL's shared processes and of the backends connected to `database`, by pid. */
function postgresTicks(database: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const cmd = read(`/proc/${pid}/cmdline`)?.replace(/\0/g, ' ') ?? '';
    const backend = /^postgres: \S+: (\S+) (\S+) /.exec(cmd); // "postgres: 15/main: <user> <db> <host>(<port>) ..."
    const shared = /\/postgres\s|^postgres: \S+: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher|stats collector|archiver)/.test(cmd);
    if (shared || (backend && database && backend[2] === database)) out.set(pid, processTicks(pid));
  }
  return out;
}

/** Ticks spent between two readings by the processes alive at the second (a backend that exited in between,
 * e.g. an idle pool connection closed, would otherwise take its whole lifetime's ticks off the sum). */
function ticksSince(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [pid, ticks] of after) total += ticks - (before.get(pid) ?? 0);
  return total;
}

/** The server process under test and the PostgreSQL database it uses (none for PGlite). */
export interface Watched {
  pid?: number;
  database?: string;
}

/** Starts counting; the returned function gives the cores used on average since then by each group. */
export function startCpuCount({ pid: serverPid, database }: Watched = {}): () => CpuShares {
  const t0 = Date.now();
  const [s0, p0, l0, m0] = [serverPid ? processTicks(serverPid) : 0, postgresTicks(database), processTicks(process.pid), machineTicks()];
  return () => {
    const seconds = (Date.now() - t0) / 1000;
    const cores = (t: number) => Math.max(0, t / TICKS_PER_SECOND / seconds);
    const server = serverPid ? cores(processTicks(serverPid) - s0) : 0;
    const postgres = cores(ticksSince(p0, postgresTicks(database)));
    const loadGenerator = cores(processTicks(process.pid) - l0);
    return { server, postgres, loadGenerator, other: Math.max(0, cores(machineTicks() - m0) - server - postgres) };
  };
}
