// Throw-away storage for one benchmark: a PostgreSQL database with a unique name, or a PGlite temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { onCleanup } from './cleanup';

export interface Scratch {
  /** DATABASE_URL or DATA_DIR for the child process. */
  env: Record<string, string>;
  describe: string;
  /** The PostgreSQL database name (none for PGlite). */
  database?: string;
  drop(): Promise<void>;
}

async function admin<T>(serverUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createPostgresDatabase(serverUrl: string, role: string): Promise<Scratch> {
  const name = `bench_${role}_${process.pid}_${Date.now().toString(36)}`.replace(/[^a-z0-9_]/g, '_');
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const drop = onCleanup(() => admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined));
  return { env: { DATABASE_URL: withDatabase(serverUrl, name) }, describe: `PostgreSQL database ${name}`, database: name, drop };
}

export function createPgliteDir(): Scratch {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhir-hub-bench-'));
  const drop = onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return { env: { DATA_DIR: dir }, describe: `PGlite in ${dir}`, drop };
}

/** Version and a few settings of the PostgreSQL server, for the report. */
export async function postgresFacts(serverUrl: string): Promise<{ version: string; settings: string }> {
  return admin(serverUrl, async (c) => {
    const v = await c.query<{ server_version: string }>('SHOW server_version');
    const names = ['shared_buffers', 'synchronous_commit', 'max_connections'];
    const s = await c.query<{ name: string; value: string }>('SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name', [names]);
    return { version: v.rows[0].server_version, settings: s.rows.map((r) => `${r.name}=${r.value}`).join(', ') };
  });
}
