// Numbered, forward-only SQL migrations, applied in order under a lock so replicas can start together.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db';

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const LOCK_KEY = 4_242_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d+-.+\.sql$/.test(f))
    .map((f) => ({ version: Number(f.split('-')[0]), name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

/** Applies pending migrations; returns the names of those applied. */
export async function migrate(db: Db): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migration (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = await tx.query<{ version: number }>('SELECT version FROM schema_migration');
    const applied = new Set(done.rows.map((r) => Number(r.version)));
    const names: string[] = [];
    for (const m of listMigrations()) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migration (version, name) VALUES ($1, $2)', [m.version, m.name]);
      names.push(m.name);
    }
    return names;
  });
}
