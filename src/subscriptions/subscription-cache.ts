// The Subscription resources the worker acts on (FHIR R4 §2.46.7), read from the store and parsed once per version.
import type { Subscription } from '@medplum/fhirtypes';
import type { Queryable } from '../store/db';
import { parseSubscription, type ParsedSubscription } from './model';
import { readPrivates } from './private-store';

interface Entry {
  version: number;
  parsed: ParsedSubscription;
  raw: Subscription;
}

export class SubscriptionCache {
  private byId = new Map<string, Entry>();

  /** Re-reads the (small) list of live Subscriptions; parses only new versions; creates missing state rows. */
  async refresh(q: Queryable): Promise<ParsedSubscription[]> {
    const r = await q.query<{ id: string; version: number }>(`SELECT id, version FROM resource WHERE res_type = 'Subscription' AND NOT deleted`);
    const seen = new Set<string>();
    const changed: string[] = [];
    for (const row of r.rows) {
      seen.add(row.id);
      if (this.byId.get(row.id)?.version !== Number(row.version)) changed.push(row.id);
    }
    for (const id of [...this.byId.keys()]) if (!seen.has(id)) this.byId.delete(id);
    if (changed.length > 0) {
      const c = await q.query<{ id: string; version: number; content: string }>(
        `SELECT id, version, content FROM resource WHERE res_type = 'Subscription' AND id = ANY($1::text[]) AND NOT deleted`,
        [changed],
      );
      const privates = await readPrivates(q, changed);
      for (const row of c.rows) {
        const stored = JSON.parse(row.content) as Subscription;
        const kept = privates.get(row.id);
        // The resource holds masked headers; delivery needs the values the client wrote.
        const raw = kept ? { ...stored, channel: { ...stored.channel, header: kept.headers } } : stored;
        const parsed = parseSubscription(raw, Number(row.version));
        parsed.owner = { subscriptionId: row.id, ownerRef: kept?.ownerRef, access: kept?.access };
        this.byId.set(row.id, { version: Number(row.version), raw, parsed });
      }
      await q.query(`INSERT INTO subscription_state (sub_id) SELECT unnest($1::text[]) ON CONFLICT (sub_id) DO NOTHING`, [changed]);
    }
    return this.all();
  }

  all(): ParsedSubscription[] {
    return [...this.byId.values()].map((e) => e.parsed);
  }

  get(id: string): ParsedSubscription | undefined {
    return this.byId.get(id)?.parsed;
  }

  raw(id: string): Subscription | undefined {
    return this.byId.get(id)?.raw;
  }
}
