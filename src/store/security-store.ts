// Storage for security: who a national identifier is in the directory, backend clients, used assertion ids.
import type { Queryable } from './db';

export interface DirectoryIdentity {
  practitioners: string[];
  roles: string[];
  organizations: string[];
}

/** Practitioners carrying one of the identifiers, their active PractitionerRoles and those roles' Organizations. */
export async function findProfessional(q: Queryable, identifiers: { system: string; value: string }[]): Promise<DirectoryIdentity> {
  const found = await q.query<{ id: string }>(
    `SELECT r.id FROM resource r WHERE r.res_type = 'Practitioner' AND NOT r.deleted AND r.rid IN (
       SELECT t.rid FROM idx_token t JOIN unnest($1::text[], $2::text[]) AS i(system, value) ON t.system = i.system AND t.code = i.value
        WHERE t.res_type = 'Practitioner' AND t.param = 'identifier')`,
    [identifiers.map((i) => i.system), identifiers.map((i) => i.value)],
  );
  const practitioners = found.rows.map((r) => r.id);
  if (practitioners.length === 0) return { practitioners, roles: [], organizations: [] };
  const roles = await q.query<{ id: string; org: string | null }>(
    `SELECT pr.id, o.target_id AS org FROM resource pr
       LEFT JOIN idx_reference o ON o.rid = pr.rid AND o.param = 'organization' AND o.target_type = 'Organization'
      WHERE pr.res_type = 'PractitionerRole' AND NOT pr.deleted
        AND pr.rid IN (SELECT t.rid FROM idx_reference t WHERE t.res_type = 'PractitionerRole' AND t.param = 'practitioner'
                         AND t.target_type = 'Practitioner' AND t.target_id = ANY($1::text[]))
        AND pr.rid NOT IN (SELECT a.rid FROM idx_token a WHERE a.res_type = 'PractitionerRole' AND a.param = 'active' AND a.code = 'false')`,
    [practitioners],
  );
  return {
    practitioners,
    roles: [...new Set(roles.rows.map((r) => r.id))],
    organizations: [...new Set(roles.rows.map((r) => r.org).filter((o): o is string => o !== null))],
  };
}

export interface BackendClient {
  clientId: string;
  jwks?: string;
  jwksUri?: string;
  scope: string;
  organization?: string;
}

export async function registerClient(q: Queryable, c: BackendClient): Promise<void> {
  await q.query(
    `INSERT INTO security_client (client_id, jwks, jwks_uri, scope, organization) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (client_id) DO UPDATE SET jwks = EXCLUDED.jwks, jwks_uri = EXCLUDED.jwks_uri, scope = EXCLUDED.scope, organization = EXCLUDED.organization`,
    [c.clientId, c.jwks ?? null, c.jwksUri ?? null, c.scope, c.organization ?? null],
  );
}

export async function findClient(q: Queryable, clientId: string): Promise<BackendClient | undefined> {
  const r = await q.query<{ client_id: string; jwks: string | null; jwks_uri: string | null; scope: string; organization: string | null }>(
    'SELECT client_id, jwks, jwks_uri, scope, organization FROM security_client WHERE client_id = $1',
    [clientId],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { clientId: row.client_id, jwks: row.jwks ?? undefined, jwksUri: row.jwks_uri ?? undefined, scope: row.scope, organization: row.organization ?? undefined };
}

/** Records an assertion id; false when it was already used (a replay). Expired ids are purged on the way. */
export async function useAssertionId(q: Queryable, clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
  await q.query('DELETE FROM security_assertion_jti WHERE expires_at < now()');
  const r = await q.query(
    'INSERT INTO security_assertion_jti (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING jti',
    [clientId, jti, expiresAt.toISOString()],
  );
  return r.rows.length === 1;
}

export async function listClients(q: Queryable): Promise<(BackendClient & { createdAt: string })[]> {
  const r = await q.query<{ client_id: string; jwks: string | null; jwks_uri: string | null; scope: string; organization: string | null; created_at: Date | string }>(
    'SELECT client_id, jwks, jwks_uri, scope, organization, created_at FROM security_client ORDER BY client_id',
  );
  return r.rows.map((row) => ({
    clientId: row.client_id,
    jwks: row.jwks ?? undefined,
    jwksUri: row.jwks_uri ?? undefined,
    scope: row.scope,
    organization: row.organization ?? undefined,
    createdAt: new Date(row.created_at).toISOString(),
  }));
}

/** Removes a client and its used assertion ids; false when there was no such client. */
export async function removeClient(q: Queryable, clientId: string): Promise<boolean> {
  await q.query('DELETE FROM security_assertion_jti WHERE client_id = $1', [clientId]);
  const r = await q.query('DELETE FROM security_client WHERE client_id = $1 RETURNING client_id', [clientId]);
  return r.rows.length === 1;
}
