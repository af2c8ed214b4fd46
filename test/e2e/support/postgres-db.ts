// An empty PostgreSQL database with a unique name for hub processes (they run the migrations
// themselves), with a client for the test's own SQL checks; dropped afterwards.
import crypto from 'node:crypto';
import { Client } from 'pg';
import { adminQuery as admin, POSTGRES_ADMIN_URL } from '../../support/test-db';

export interface EmptyPostgresDb {
  name: string;
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createEmptyPostgresDb(): Promise<EmptyPostgresDb> {
  const name = `hub_e2e_${Date.now().toString(36)}_${crypto.randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  let client: Client | undefined;
  const connected = async () => {
    if (!client) {
      client = new Client({ connectionString: url.toString() });
      await client.connect();
    }
    return client;
  };
  return {
    name,
    url: url.toString(),
    query: async (sql, params) => (await (await connected()).query(sql, params)).rows,
    drop: async () => {
      await client?.end().catch(() => undefined);
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
