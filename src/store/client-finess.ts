// Storage of a backend client's établissements (migration 006): which FINESS a system may send letters for.
import type { Queryable } from './db';

export async function setClientFiness(q: Queryable, clientId: string, finess: string[]): Promise<void> {
  await q.query('DELETE FROM security_client_finess WHERE client_id = $1', [clientId]);
  for (const f of finess) await q.query('INSERT INTO security_client_finess (client_id, finess) VALUES ($1, $2)', [clientId, f]);
}

export async function clientFiness(q: Queryable, clientId: string): Promise<string[]> {
  const r = await q.query<{ finess: string }>('SELECT finess FROM security_client_finess WHERE client_id = $1 ORDER BY finess', [clientId]);
  return r.rows.map((row) => row.finess);
}
