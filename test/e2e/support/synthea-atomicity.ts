// Whether each Synthea patient bundle is in the database whole or not at all. Each bundle is one
// transaction, so all its rows share one xmin (the id of the transaction that wrote them): the
// Patient (found by its Synthea identifier, the file's name) leads to that transaction's rows.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SYNTHEA_DIR } from './hub-process';

export type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface PatientBundleFile {
  path: string;
  /** The Patient's Synthea identifier value, which is also the file name. */
  patientKey: string;
  entries: number;
}

export const BASE_FILES = fs
  .readdirSync(SYNTHEA_DIR)
  .filter((f) => f.startsWith('0-'))
  .sort()
  .map((f) => path.join(SYNTHEA_DIR, f));
/** Organizations, Locations, Practitioners and PractitionerRoles of the two batch files. */
export const BASE_RESOURCES = 388 + 390;

export function patientBundleFiles(count: number): PatientBundleFile[] {
  const names = fs
    .readdirSync(SYNTHEA_DIR)
    .filter((f) => /^[0-9a-f-]{36}\.json\.bz2$/.test(f))
    .sort()
    .slice(0, count);
  return names.map((name) => {
    const file = path.join(SYNTHEA_DIR, name);
    const bundle = JSON.parse(execFileSync('bzip2', ['-dc', file], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8'));
    if (bundle.type !== 'transaction') throw new Error(`${name} is not a transaction bundle`);
    return { path: file, patientKey: name.replace('.json.bz2', ''), entries: bundle.entry.length };
  });
}

export interface AtomicityReport {
  complete: PatientBundleFile[];
  absent: PatientBundleFile[];
  /** Files with a Patient but not all their rows: must stay empty. */
  partial: { file: PatientBundleFile; rows: number[] }[];
  /** Resources in the database beyond the base files and the complete bundles: must be 0. */
  orphans: number;
}

const count = async (query: Query, sql: string, params: unknown[]) => Number((await query<{ n: number }>(sql, params))[0].n);

export async function checkAtomicity(query: Query, files: PatientBundleFile[]): Promise<AtomicityReport> {
  const report: AtomicityReport = { complete: [], absent: [], partial: [], orphans: 0 };
  for (const f of files) {
    const found = await query<{ x: string }>(
      "SELECT xmin::text AS x FROM resource WHERE res_type = 'Patient' AND (content::jsonb -> 'identifier') @> $1::jsonb",
      [JSON.stringify([{ value: f.patientKey }])],
    );
    if (found.length === 0) {
      report.absent.push(f);
      continue;
    }
    const x = found[0].x;
    // The current row, the history row and the outbox event of every entry came in that transaction.
    const rows = [
      await count(query, 'SELECT count(*)::int AS n FROM resource WHERE xmin::text = $1', [x]),
      await count(query, 'SELECT count(*)::int AS n FROM resource_history WHERE xmin::text = $1', [x]),
      await count(query, 'SELECT count(*)::int AS n FROM outbox WHERE xmin::text = $1', [x]),
    ];
    if (found.length === 1 && rows.every((n) => n === f.entries)) report.complete.push(f);
    else report.partial.push({ file: f, rows });
  }
  const total = await count(query, 'SELECT count(*)::int AS n FROM resource', []);
  report.orphans = total - BASE_RESOURCES - report.complete.reduce((a, f) => a + f.entries, 0);
  return report;
}
