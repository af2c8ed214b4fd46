// What the hub keeps of a Subscription outside the resource (FHIR R4 §2.46.8): header values and the owner's rights.
import type { AccessRule } from '../store/access-sql';
import type { Queryable } from '../store/db';

export interface SubscriptionPrivate {
  headers: string[];
  ownerRef?: string;
  access?: AccessRule;
}

function fromRow(row: { headers: unknown; owner_ref: string | null; access: unknown }): SubscriptionPrivate {
  const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  return { headers: (json(row.headers) as string[]) ?? [], ownerRef: row.owner_ref ?? undefined, access: (json(row.access) as AccessRule | null) ?? undefined };
}

export async function readPrivate(q: Queryable, subId: string): Promise<SubscriptionPrivate | undefined> {
  const r = await q.query<{ headers: unknown; owner_ref: string | null; access: unknown }>(`SELECT headers, owner_ref, access FROM subscription_private WHERE sub_id = $1`, [subId]);
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

export async function readPrivates(q: Queryable, subIds: string[]): Promise<Map<string, SubscriptionPrivate>> {
  if (subIds.length === 0) return new Map();
  const r = await q.query<{ sub_id: string; headers: unknown; owner_ref: string | null; access: unknown }>(
    `SELECT sub_id, headers, owner_ref, access FROM subscription_private WHERE sub_id = ANY($1::text[])`,
    [subIds],
  );
  return new Map(r.rows.map((row) => [row.sub_id, fromRow(row)]));
}

export async function writePrivate(q: Queryable, subId: string, p: SubscriptionPrivate): Promise<void> {
  await q.query(
    `INSERT INTO subscription_private (sub_id, headers, owner_ref, access) VALUES ($1, $2::jsonb, $3, $4::jsonb)
     ON CONFLICT (sub_id) DO UPDATE SET headers = EXCLUDED.headers, owner_ref = EXCLUDED.owner_ref, access = EXCLUDED.access`,
    [subId, JSON.stringify(p.headers), p.ownerRef ?? null, p.access ? JSON.stringify(p.access) : null],
  );
}
