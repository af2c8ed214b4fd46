// Renders the figures as Markdown and writes them into docs/performance.md between two markers,
// so the hand-written analysis around them survives each run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CpuShares } from './cpu-usage';
import type { ImportResult } from './import-phase';
import type { LoadResult } from './load';
import { REPO } from './processes';

export interface ServerRun {
  label: string;
  storage: string;
  command: string;
  import?: ImportResult;
  seeded?: number;
  read?: LoadResult;
  write?: LoadResult;
}

export interface Report {
  date: Date;
  argv: string;
  postgres: { version: string; settings: string };
  settings: string;
  baseline?: ServerRun;
  hubs: ServerRun[];
  notes: string[];
}

const BEGIN = '<!-- bench:begin (written by `npm run bench`; edit outside the markers) -->';
const END = '<!-- bench:end -->';

const n0 = (x: number): string => Math.round(x).toLocaleString('en-US').replace(/,/g, ' ');
const ms = (x: number): string => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
const pct = (a: number, b: number): string => (b > 0 ? `${Math.round((100 * a) / b)} %` : '—');

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: REPO, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${rev} + uncommitted changes` : rev;
  } catch {
    return 'unknown';
  }
}

function pgliteVersion(): string {
  const file = path.join(REPO, 'node_modules/@electric-sql/pglite/package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'unknown';
}

export function machine(pg: Report['postgres']): string[] {
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores (shared by the load generator, the server and PostgreSQL)`,
    `- Memory: ${Math.round(os.totalmem() / 2 ** 30)} GB; ${os.type()} ${os.release()}`,
    `- Node ${process.version}; PostgreSQL ${pg.version} on 127.0.0.1 (${pg.settings}); PGlite ${pgliteVersion()}`,
    `- Code: git ${gitRevision()}`,
  ];
}

function failed(r: { failed?: number; failures?: number } | undefined): string {
  const f = r ? (r.failed ?? r.failures ?? 0) : 0;
  return f > 0 ? ` ⚠ ${f} failed` : '';
}

function importCell(r: ServerRun): string {
  if (r.import) return `${n0(r.import.perSecond)} resources/s (${n0(r.import.resources)} in ${r.import.seconds.toFixed(1)} s)${failed(r.import)}`;
  return r.seeded ? `not measured (seeded ${n0(r.seeded)})` : 'not measured';
}

const loadCell = (l: LoadResult | undefined, unit: string): string =>
  l ? `${n0(l.perSecond)} ${unit}, p50 ${ms(l.p50)}, p99 ${ms(l.p99)}${failed(l)}` : 'not measured';

/** CPU milliseconds per operation (robust to a busy machine, unlike rates), and the foreign load. */
function cpuCell(x: { cpu: CpuShares; perSecond: number } | undefined): string {
  if (!x || x.perSecond <= 0) return '—';
  const perOp = (cores: number) => ((1000 * cores) / x.perSecond).toFixed(2);
  return `${perOp(x.cpu.server)} + ${perOp(x.cpu.postgres)} ms (other load ${x.cpu.other.toFixed(1)})`;
}

function targets(hub: ServerRun, base: ServerRun | undefined): string[] {
  const out: string[] = [];
  const mark = (ok: boolean) => (ok ? '**met**' : '**missed**');
  if (hub.import) {
    const ratio = base?.import ? ` and ≥ 10 % of baseline (${pct(hub.import.perSecond, base.import.perSecond)})` : '';
    const ok = hub.import.perSecond >= 1500 && (!base?.import || hub.import.perSecond >= 0.1 * base.import.perSecond);
    out.push(`| import ≥ 1 500 resources/s${ratio} | ${n0(hub.import.perSecond)}/s | ${mark(ok)} |`);
  }
  if (hub.read && base?.read) {
    const ok = hub.read.perSecond >= 0.7 * base.read.perSecond && hub.read.p99 <= 1.5 * base.read.p99;
    out.push(`| read ≥ 70 % of baseline req/s, p99 ≤ 1.5 × baseline | ${pct(hub.read.perSecond, base.read.perSecond)}, p99 ${(hub.read.p99 / base.read.p99).toFixed(2)} × | ${mark(ok)} |`);
  }
  if (hub.write) out.push(`| small transactions ≥ 500 tx/s | ${n0(hub.write.perSecond)} tx/s | ${mark(hub.write.perSecond >= 500)} |`);
  return out;
}

export function renderReport(r: Report): string {
  const base = r.baseline;
  const lines = [
    BEGIN,
    '',
    `## Latest run: ${r.date.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    ...machine(r.postgres),
    `- Command: \`${r.argv}\` (${r.settings})`,
    '',
    '| Server | (a) import of the Synthea bundles | (b) read by id | (c) small writes |',
    '|---|---|---|---|',
  ];
  for (const s of [...(base ? [base] : []), ...r.hubs]) {
    const unit = s === base ? 'commits/s' : 'tx/s';
    lines.push(`| ${s.label} | ${importCell(s)} | ${loadCell(s.read, 'req/s')} | ${loadCell(s.write, unit)} |`);
  }
  if (base) {
    lines.push('', 'Relative to the baseline measured in the same run:', '', '| Server | import | read req/s | read p99 | small writes |', '|---|---|---|---|---|');
    for (const h of r.hubs) {
      const p99 = h.read && base.read ? `${(h.read.p99 / base.read.p99).toFixed(2)} ×` : '—';
      lines.push(`| ${h.label} | ${h.import && base.import ? pct(h.import.perSecond, base.import.perSecond) : '—'} | ${h.read && base.read ? pct(h.read.perSecond, base.read.perSecond) : '—'} | ${p99} | ${h.write && base.write ? pct(h.write.perSecond, base.write.perSecond) : '—'} |`);
    }
  }
  lines.push(
    '',
    'CPU time per operation, server + PostgreSQL (its shared processes and the backends of the run\'s database; PGlite runs inside the hub), and in brackets the cores used meanwhile by anything else on the machine (other processes, kernel network work, the load generator):',
    '',
    '| Server | import, per resource | read, per request | small write, per request |',
    '|---|---|---|---|',
  );
  for (const s of [...(base ? [base] : []), ...r.hubs]) lines.push(`| ${s.label} | ${cpuCell(s.import)} | ${cpuCell(s.read)} | ${cpuCell(s.write)} |`);
  const pgHub = r.hubs.find((h) => h.label.includes('PostgreSQL'));
  if (pgHub) {
    const rows = targets(pgHub, base);
    if (rows.length) lines.push('', 'Targets (hub on PostgreSQL):', '', '| Target | Measured | |', '|---|---|---|', ...rows);
  }
  lines.push('', 'Processes and storage of this run:', '');
  for (const s of [...(base ? [base] : []), ...r.hubs]) lines.push(`- ${s.label}: \`${s.command}\` — ${s.storage}`);
  if (r.notes.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  lines.push('', END);
  return lines.join('\n');
}

export function writeReport(file: string, markdown: string): void {
  const title = '# Performance\n\nFigures written by `npm run bench` (see `bench/README.md`).\n\n';
  const old = existsSync(file) ? readFileSync(file, 'utf8') : title;
  const begin = old.indexOf(BEGIN);
  const end = old.indexOf(END);
  const next = begin >= 0 && end > begin ? old.slice(0, begin) + markdown + old.slice(end + END.length) : `${old.trimEnd()}\n\n${markdown}\n`;
  writeFileSync(file, next);
}
