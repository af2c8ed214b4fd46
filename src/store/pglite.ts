// Embedded engine: PGlite (PostgreSQL compiled to WebAssembly) with its data in a folder.
// PGlite has one connection, so the store serializes transactions here, never interleaving them.
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db';

class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function normalizeRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(row)) {
    if (typeof row[key] === 'bigint') row[key] = Number(row[key]);
  }
  return row;
}

/** dataDir undefined = in memory (tests); `existing` wraps an instance the caller created (e.g. from a dump). */
export async function openPglite(dataDir?: string, existing?: PGlite): Promise<Db> {
  const pg = existing ?? (await PGlite.create(dataDir ? { dataDir } : {}));
  const lock = new Mutex();
  const run = async <T>(q: Pick<PGlite, 'query'>, sql: string, params?: unknown[]): Promise<QueryResult<T>> => {
    const r = await q.query<Record<string, unknown>>(sql, params as unknown[]);
    // pg's rowCount counts SELECTed rows too; PGlite's affectedRows is 0 for a SELECT.
    return { rows: r.rows.map(normalizeRow) as T[], rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
  };
  return {
    engine: 'pglite',
    query: (sql, params) => lock.run(() => run(pg, sql, params)),
    transaction: (fn) =>
      lock.run(() =>
        pg.transaction(async (t) => {
          const tx: Queryable = { query: (sql, params) => run(t, sql, params), exec: async (sql) => void (await t.exec(sql)) };
          return fn(tx);
        }),
      ),
    exec: (sql) => lock.run(async () => void (await pg.exec(sql))),
    async listen(channel, onPayload) {
      const stop = await lock.run(() => pg.listen(channel, onPayload));
      return () => lock.run(() => stop());
    },
    close: () => lock.run(() => pg.close()),
  };
}
