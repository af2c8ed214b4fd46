// Writes search index rows for many resources at once: one statement per index table, values as arrays.
import type { Queryable } from './db';
import type { IndexRows } from '../fhir/search/index-values';

export interface IndexedResource {
  rid: number;
  resType: string;
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

export const INDEX_TABLES = Object.keys(TABLES) as (keyof IndexRows)[];

export async function deleteIndexRows(q: Queryable, rids: number[]): Promise<void> {
  if (rids.length === 0) return;
  for (const table of INDEX_TABLES) await q.query(`DELETE FROM idx_${table} WHERE rid = ANY($1::bigint[])`, [rids]);
}

export async function insertIndexRows(q: Queryable, resources: IndexedResource[]): Promise<void> {
  for (const table of INDEX_TABLES) {
    const cols = TABLES[table];
    const arrays: unknown[][] = [[], [], [], ...cols.map(() => [])];
    for (const res of resources) {
      for (const row of res.rows[table] as never[]) {
        arrays[0].push(res.rid);
        arrays[1].push(res.resType);
        arrays[2].push((row as { param: string }).param);
        cols.forEach((c, i) => arrays[3 + i].push(c.pick(row)));
      }
    }
    if (arrays[0].length > 0) await q.query(INSERT_SQL[table], arrays);
  }
}
