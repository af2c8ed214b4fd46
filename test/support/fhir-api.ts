// Small helpers for API tests: JSON requests with FHIR headers, and row counts proving what the database holds.
import type { Test } from 'supertest';
import { FHIR_JSON, type TestHub } from './test-hub';

export type Headers = Record<string, string>;

function withHeaders(req: Test, headers: Headers): Test {
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  return req;
}

export function postJson(t: TestHub, url: string, body: unknown, headers: Headers = {}): Test {
  return withHeaders(t.api.post(url).set('Content-Type', FHIR_JSON), headers).send(JSON.stringify(body));
}

export function putJson(t: TestHub, url: string, body: unknown, headers: Headers = {}): Test {
  return withHeaders(t.api.put(url).set('Content-Type', FHIR_JSON), headers).send(JSON.stringify(body));
}

export function patchJson(t: TestHub, url: string, ops: unknown, headers: Headers = {}, type = 'application/json-patch+json'): Test {
  return withHeaders(t.api.patch(url).set('Content-Type', type), headers).send(JSON.stringify(ops));
}

/** Creates a resource and returns its id (fails the test on anything but 201). */
export async function createResource(t: TestHub, resource: { resourceType: string; [key: string]: unknown }): Promise<string> {
  const res = await postJson(t, `/fhir/${resource.resourceType}`, resource);
  if (res.status !== 201) throw new Error(`create ${resource.resourceType} gave ${res.status}: ${res.text}`);
  return res.body.id as string;
}

/** How many resources of a type a search counts (_summary=count). */
export async function searchCount(t: TestHub, type: string, query: string): Promise<number> {
  const res = await t.api.get(`/fhir/${type}?${query}&_summary=count`);
  if (res.status !== 200) throw new Error(`search ${type}?${query} gave ${res.status}: ${res.text}`);
  return res.body.total as number;
}

/** Row counts of every table a write touches: equal snapshots mean nothing was written. */
export async function tableCounts(t: TestHub): Promise<Record<string, number>> {
  const tables = ['resource', 'resource_history', 'outbox', 'idx_string', 'idx_token', 'idx_reference', 'idx_date', 'idx_number', 'idx_quantity', 'idx_uri'];
  const out: Record<string, number> = {};
  for (const table of tables) {
    const r = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    out[table] = Number(r.rows[0].n);
  }
  return out;
}

export function identifier(value: string, system = 'https://hub.test/mrn'): { system: string; value: string } {
  return { system, value };
}

/** Every issue of an OperationOutcome body, for assertions on code and expression. */
export function issues(body: { resourceType?: string; issue?: { code: string; expression?: string[]; severity: string; diagnostics?: string }[] }) {
  expect(body.resourceType).toBe('OperationOutcome');
  return body.issue ?? [];
}

export function expressions(body: Parameters<typeof issues>[0]): string[] {
  return issues(body).flatMap((i) => i.expression ?? []);
}
