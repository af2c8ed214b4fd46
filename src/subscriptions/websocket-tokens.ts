// Websocket binding tokens (Backport IG "Channels: websocket", $get-ws-binding-token): short-lived, single
// purpose, stored hashed so any hub process can check a token another one issued.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../store/db';

/** How long a token may wait before its bind-with-token. */
export const TOKEN_LIFETIME_MS = 5 * 60_000;

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');

export async function issueBindingToken(q: Queryable, subIds: string[], now = new Date()): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + TOKEN_LIFETIME_MS);
  await q.query(`INSERT INTO subscription_ws_token (token_hash, sub_ids, expires_at) VALUES ($1, $2::text[], $3)`, [hash(token), subIds, expiresAt.toISOString()]);
  return { token, expiresAt };
}

/** The subscriptions a token binds, once: a used or expired token gives undefined. */
export async function redeemBindingToken(q: Queryable, token: string): Promise<string[] | undefined> {
  const r = await q.query<{ sub_ids: string[] }>(`DELETE FROM subscription_ws_token WHERE token_hash = $1 RETURNING sub_ids, expires_at > now() AS live`, [hash(token)]);
  const row = r.rows[0] as { sub_ids: string[]; live?: boolean } | undefined;
  return row && row.live ? row.sub_ids : undefined;
}
