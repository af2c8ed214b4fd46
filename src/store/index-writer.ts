// Writes search index rows for many resources at once: one part per index table, values as arrays,
// all tables in one statement.
import type { Queryable } from './db';
import { StatementBatch } from './statement-batch';
import type { IndexRows } from '../fhir/search/index-values';

export interface IndexedResource {
  rid: number;
  resType: string;
  rows: IndexRows;
}

/** A resource whose rid may not be known yet: it is then read from the RETURNING rows of a named part. */
export interface PendingIndexedResource {
  rid: number | undefined;
  resType: string;
  id: string;
  rows: IndexRows;
}

type Column = { name: string; cast: string; pick: (row: never) => unknown };

const TABLES: Record<keyof IndexRows, Column[]> = {
  string: [
    { name: 'value', cast: 'text', pick: (r: { value: string }) => r.value },
    { name: 'raw', cast: 'text', pick: (r: { raw: string }) => r.raw },
  ],
  token: [
    { name: 'system', cast: 'text', pick: (r: { system: string | null }) => r.system },
    { name: 'code', cast: 'text', pick: (r: { code: string | null }) => r.code },
    { name: 'text', cast: 'text', pick: (r: { text: string | null }) => r.text },
  ],
  reference: [
    { name: 'target_type', cast: 'text', pick: (r: { targetType: string | null }) => r.targetType },
    { name: 'target_id', cast: 'text', pick: (r: { targetId: string | null }) => r.targetId },
    { name: 'url', cast: 'text', pick: (r: { url: string | null }) => r.url },
  ],
  date: [
    { name: 'lo', cast: 'timestamptz', pick: (r: { lo: string }) => r.lo },
    { name: 'hi', cast: 'timestamptz', pick: (r: { hi: string }) => r.hi },
  ],
  number: [
    { name: 'lo', cast: 'numeric', pick: (r: { lo: number }) => r.lo },
    { name: 'hi', cast: 'numeric', pick: (r: { hi: number }) => r.hi },
  ],
  quantity: [
    { name: 'system', cast: 'text', pick: (r: { system: string | null }) => r.system },
    { name: 'code', cast: 'text', pick: (r: { code: string | null }) => r.code },
    { name: 'unit', cast: 'text', pick: (r: { unit: string | null }) => r.unit },
    { name: 'lo', cast: 'numeric', pick: (r: { lo: number }) => r.lo },
    { name: 'hi', cast: 'numeric', pick: (r: { hi: number }) => r.hi },
  ],
  uri: [{ name: 'value', cast: 'text', pick: (r: { value: string }) => r.value }],
};

const INSERT_SQL = Object.fromEntries(
  Object.entries(TABLES).map(([table, cols]) => {
    const names = ['rid', 'res_type', 'param', ...cols.map((c) => c.name)];
    const casts = ['bigint', 'text', 'text', ...cols.map((c) => c.cast)];
    const unnest = casts.map((c, i) => `$${i + 1}::${c}[]`).join(', ');
    return [table, `INSERT INTO idx_${table} (${names.join(', ')}) SELECT * FROM unnest(${unnest})`];
  }),
) as Record<keyof IndexRows, string>;

/** The same inserts, with the rid of new resources taken from `created` (rid, res_type, id) by type and id. */
function insertJoinedSql(table: keyof IndexRows, created: string): string {
  const cols = TABLES[table];
  const names = ['rid', 'res_type', 'res_id', 'param', ...cols.map((c) => c.name)];
  const casts = ['bigint', 'text', 'text', 'text', ...cols.map((c) => c.cast)];
  const unnest = casts.map((c, i) => `$${i + 1}::${c}[]`).join(', ');
  const values = ['u.res_type', 'u.param', ...cols.map((c) => `u.${c.name}`)].join(', ');
  return `INSERT INTO idx_${table} (rid, res_type, param, ${cols.map((c) => c.name).join(', ')})
    SELECT COALESCE(u.rid, c.rid), ${values} FROM unnest(${unnest}) AS u(${names.join(', ')})
    LEFT JOIN ${created} c ON c.res_type = u.res_type AND c.id = u.res_id`;
}

export const INDEX_TABLES = Object.keys(TABLES) as (keyof IndexRows)[];

export function addIndexDeletes(batch: StatementBatch, rids: number[]): void {
  if (rids.length === 0) return;
  for (const table of INDEX_TABLES) batch.add(`DELETE FROM idx_${table} WHERE rid = ANY($1::bigint[])`, [rids]);
}

/** Column arrays of one index table for `resources`, led by the values `lead` gives per resource. */
function columnArrays(table: keyof IndexRows, resources: { resType: string; rows: IndexRows }[], lead: (res: never) => unknown[]): unknown[][] | undefined {
  const cols = TABLES[table];
  const width = lead(resources[0] as never).length;
  const arrays: unknown[][] = Array.from({ length: width + 1 + cols.length }, () => []);
  for (const res of resources) {
    const first = lead(res as never);
    for (const row of res.rows[table] as never[]) {
      first.forEach((v, i) => arrays[i].push(v));
      arrays[width].push((row as { param: string }).param);
      cols.forEach((c, i) => arrays[width + 1 + i].push(c.pick(row)));
    }
  }
  return arrays[0].length > 0 ? arrays : undefined;
}

export function addIndexInserts(batch: StatementBatch, resources: IndexedResource[]): void {
  if (resources.length === 0) return;
  for (const table of INDEX_TABLES) {
    const arrays = columnArrays(table, resources, (res: IndexedResource) => [res.rid, res.resType]);
    if (arrays) batch.add(INSERT_SQL[table], arrays);
  }
}

/** Index rows of resources created in the same batch: their rid comes from the part named `created`. */
export function addPendingIndexInserts(batch: StatementBatch, resources: PendingIndexedResource[], created: string): void {
  if (resources.length === 0) return;
  for (const table of INDEX_TABLES) {
    const arrays = columnArrays(table, resources, (res: PendingIndexedResource) => [res.rid ?? null, res.resType, res.id]);
    if (arrays) batch.add(insertJoinedSql(table, created), arrays);
  }
}

export async function deleteIndexRows(q: Queryable, rids: number[]): Promise<void> {
  const batch = new StatementBatch();
  addIndexDeletes(batch, rids);
  await batch.run(q);
}

export async function insertIndexRows(q: Queryable, resources: IndexedResource[]): Promise<void> {
  const batch = new StatementBatch();
  addIndexInserts(batch, resources);
  await batch.run(q);
}
