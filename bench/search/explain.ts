// EXPLAIN of each search benchmark query on the loaded database: which scans the planner chose.
import type { HubContext } from '../../src/fhir/hub-context';
import { executeSearchSql } from '../../src/fhir/search/execute';
import { parseSearch } from '../../src/fhir/search/parse';
import type { SearchCase } from './queries';

export interface PlanSummary {
  label: string;
  /** Scan nodes, e.g. "Index Scan on idx_token (idx_token_lookup)". */
  scans: string[];
  seqScans: string[];
  usesIndex: boolean;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, out: string[]): void {
  if (/Scan/.test(node['Node Type']) && (node['Relation Name'] || node['Index Name'])) {
    out.push(`${node['Node Type']}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}${node['Index Name'] ? ` (${node['Index Name']})` : ''}`);
  }
  for (const child of node.Plans ?? []) walk(child, out);
}

export async function explainCases(ctx: HubContext, cases: SearchCase[]): Promise<PlanSummary[]> {
  const out: PlanSummary[] = [];
  for (const c of cases) {
    const [type, qs] = c.query.split('?');
    const query = parseSearch(ctx.registry, type, [...new URLSearchParams(qs).entries()], { lenient: false, defaultCount: 20, maxCount: 1000 });
    const scans: string[] = [];
    for (const { sql, values } of executeSearchSql(ctx, query)) {
      const r = await ctx.db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
      walk(r.rows[0]['QUERY PLAN'][0].Plan, scans);
    }
    const unique = [...new Set(scans)];
    out.push({ label: c.label, scans: unique, seqScans: unique.filter((s) => s.startsWith('Seq Scan')), usesIndex: unique.some((s) => /Index/.test(s)) });
  }
  return out;
}
