// Where a small transaction's time goes in SQL: runs N small transactions (1 Patient + 1 Observation)
// through the hub's FHIR layer in this process, one after the other, on a fresh PostgreSQL database,
// and sums the client-side time of each SQL statement (round trip included) by statement text.
// Run: npx tsx bench/time-statements.ts [count] [postgres server url]
import { loadConfig } from '../src/config';
import { processBundle } from '../src/fhir/bundle/process';
import { newRequest } from '../src/fhir/request';
import { openHub } from '../src/hub';
import type { Db, Queryable } from '../src/store/db';
import { openPostgres } from '../src/store/postgres';
import { cleanupAll } from './lib/cleanup';
import { createPostgresDatabase } from './lib/databases';
import { smallTransaction } from './lib/small-transaction';

const count = Math.min(Number(process.argv[2] ?? 300), 5_000);
const server = process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const byStatement = new Map<string, { n: number; ms: number }>();

function timed(q: Queryable): Queryable {
  return {
    exec: (sql) => q.exec(sql),
    async query(sql, params) {
      const t0 = process.hrtime.bigint();
      try {
        return await q.query(sql, params);
      } finally {
        const key = sql.replace(/\s+/g, ' ').slice(0, 90);
        const s = byStatement.get(key) ?? { n: 0, ms: 0 };
        s.n++;
        s.ms += Number(process.hrtime.bigint() - t0) / 1e6;
        byStatement.set(key, s);
      }
    },
  } as Queryable;
}

/** Every statement timed; what is left of the total is JavaScript work. */
function timedDb(db: Db): Db {
  return {
    ...timed(db),
    engine: db.engine,
    close: () => db.close(),
    async transaction(fn) {
      // BEGIN and COMMIT (with its WAL flush) are the transaction's time outside fn.
      let inside = 0;
      const t0 = process.hrtime.bigint();
      try {
        return await db.transaction(async (tx) => {
          const t1 = process.hrtime.bigint();
          try {
            return await fn(timed(tx));
          } finally {
            inside = Number(process.hrtime.bigint() - t1) / 1e6;
          }
        });
      } finally {
        const s = byStatement.get('BEGIN + COMMIT') ?? { n: 0, ms: 0 };
        s.n++;
        s.ms += Number(process.hrtime.bigint() - t0) / 1e6 - inside;
        byStatement.set('BEGIN + COMMIT', s);
      }
    },
  } as Db;
}

async function main(): Promise<void> {
  const scratch = await createPostgresDatabase(server, 'statements');
  try {
    const db = openPostgres(scratch.env.DATABASE_URL, 2);
    const hub = await openHub({ ...loadConfig({}), databaseUrl: scratch.env.DATABASE_URL }, timedDb(db));
    for (let i = 0; i < 50; i++) await processBundle(hub.ctx, newRequest('POST', [], { body: JSON.parse(smallTransaction()) })); // warm-up
    byStatement.clear();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await processBundle(hub.ctx, newRequest('POST', [], { body: JSON.parse(smallTransaction()) }));
    const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
    await hub.close();
    const sqlMs = [...byStatement.values()].reduce((a, s) => a + s.ms, 0);
    console.log(`${count} small transactions in ${totalMs.toFixed(0)} ms: ${(totalMs / count).toFixed(2)} ms each, of which SQL ${(sqlMs / count).toFixed(2)} ms, JavaScript the rest`);
    for (const [sql, s] of [...byStatement].sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`${(s.ms / count).toFixed(3).padStart(7)} ms/tx  ${String(s.n / count).padStart(4)}×  ${sql}`);
    }
  } finally {
    await scratch.drop();
    await cleanupAll();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
