// Writes the search benchmark's figures into docs/performance.md between its own markers.
import { writeMarkedSection } from '../lib/markers';
import type { LoadResult } from '../lib/load';
import { machine } from '../lib/report';
import type { PlanSummary } from './explain';
import type { SearchCase } from './queries';

export interface SearchReport {
  date: Date;
  argv: string;
  postgres: { version: string; settings: string };
  dataset: string;
  cases: { case: SearchCase; load: LoadResult }[];
  plans: PlanSummary[];
  wide?: { search: LoadResult; baselineRead: LoadResult };
}

const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
const n0 = (x: number) => Math.round(x).toLocaleString('en-US').replace(/,/g, ' ');

export function renderSearchReport(r: SearchReport): string {
  const lines = [
    `### Search (issue 3) — ${r.date.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    ...machine(r.postgres),
    `- Data: ${r.dataset}`,
    `- Command: \`${r.argv}\``,
    '',
    '| Query (8 concurrent clients) | req/s | p50 | p99 | target ≤ 50 ms / ≤ 200 ms | plan |',
    '|---|---|---|---|---|---|',
  ];
  for (const { case: c, load } of r.cases) {
    const plan = r.plans.find((p) => p.label === c.label);
    const met = load.p50 <= 50 && load.p99 <= 200 && load.failed === 0;
    const planCell = plan ? (plan.seqScans.length ? `seq scan: ${plan.seqScans.join(', ')}` : 'index scans only') : '—';
    lines.push(`| ${c.label}: \`${c.query.replace(/\|/g, '\\|')}\` | ${n0(load.perSecond)} | ${ms(load.p50)} | ${ms(load.p99)} | ${met ? '**met**' : '**missed**'}${load.failed ? ` ⚠ ${load.failed} failed` : ''} | ${planCell} |`);
  }
  if (r.wide) {
    const ratio = r.wide.search.perSecond / r.wide.baselineRead.perSecond;
    lines.push(
      '',
      `Code search, first page, at 32 connections: ${n0(r.wide.search.perSecond)} req/s (p50 ${ms(r.wide.search.p50)}, p99 ${ms(r.wide.search.p99)}) against ` +
        `${n0(r.wide.baselineRead.perSecond)} req/s for the baseline's read by id in the same run: ${Math.round(ratio * 100)} % (target ≥ 40 %: ${ratio >= 0.4 ? '**met**' : '**missed**'}).`,
    );
  }
  lines.push('', 'Plans (EXPLAIN on the loaded database):', '');
  for (const p of r.plans) lines.push(`- ${p.label}: ${p.scans.join('; ')}`);
  return lines.join('\n');
}

export function writeSearchReport(text: string): void {
  writeMarkedSection('bench-search', 'Search', text);
}
