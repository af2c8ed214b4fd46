// PostgreSQL engine through a pg pool: production and multi-replica deployments.
import { Pool, types, type PoolClient } from 'pg';
import type { Db, Queryable, QueryResult } from './db';

// bigint (int8) as JS number: sequence values stay far below 2^53.
types.setTypeParser(20, (v) => Number(v));
// numeric kept as string by default; the store converts where it needs numbers.

export function openPostgres(connectionString: string, poolSize = 20): Db {
  const pool = new Pool({ connectionString, max: poolSize });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Nothing to do here.
  });
  const run = async <T>(q: Queryable | Pool, sql: string, params?: unknown[]): Promise<QueryResult<T>> => {
    const r = await (q as Pool).query(sql, params as unknown[]);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  };
  return {
    engine: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = { query: (sql, params) => run(client as unknown as Pool, sql, params), exec: async (sql) => void (await client.query(sql)) };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    listen: (channel, onPayload) => listenOn(pool, channel, onPayload),
    close: () => pool.end(),
  };
}

const RELISTEN_DELAY_MS = 1_000;

/** LISTEN on a connection of its own, taken again after a failure (a database restart, a killed backend). */
async function listenOn(pool: Pool, channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
  let stopped = false;
  let client: PoolClient | undefined;
  const connect = async (): Promise<void> => {
    const c = await pool.connect();
    c.on('notification', (n) => {
      if (n.channel === channel) onPayload(n.payload ?? '');
    });
    c.on('error', () => {
      c.release(true);
      if (client === c) client = undefined;
      if (!stopped) setTimeout(retry, RELISTEN_DELAY_MS).unref();
    });
    await c.query(`LISTEN "${channel.replace(/"/g, '')}"`);
    client = c;
  };
  const retry = () => {
    if (!stopped) connect().catch(() => setTimeout(retry, RELISTEN_DELAY_MS).unref());
  };
  await connect();
  return async () => {
    stopped = true;
    const c = client;
    client = undefined;
    if (c) {
      await c.query(`UNLISTEN *`).catch(() => undefined);
      c.release();
    }
  };
}
