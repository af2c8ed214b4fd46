// The audit trail (IHE BALP) in the append-only audit_log: writes audited in their own transaction, the rest in batches.
import type { HubContext } from '../fhir/hub-context';
import { logger } from '../logger';
import { patientsOf, type RowRef } from '../store/access-sql';
import { insertAuditEntries } from '../store/audit-log';
import type { Queryable } from '../store/db';
import { toEntry, type AuditRecord } from './audit-event';

/** A record whose patients are looked up when the batch is written: the rows a search returned, an instance read. */
export interface PendingRecord extends AuditRecord {
  lookups?: RowRef[];
}

const BATCH_SIZE = 500;
const FLUSH_DELAY_MS = 200;

export class AuditTrail {
  private queue: PendingRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: HubContext,
    readonly enabled: boolean,
  ) {}

  /** Queues a record; it is written within FLUSH_DELAY_MS, or at once when the batch is full. */
  enqueue(rec: PendingRecord): void {
    if (!this.enabled) return;
    this.queue.push(rec);
    if (this.queue.length >= BATCH_SIZE) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Writes records inside the caller's transaction: they commit, or roll back, with the write they describe. */
  async writeInTransaction(tx: Queryable, records: AuditRecord[]): Promise<void> {
    if (!this.enabled || records.length === 0) return;
    await insertAuditEntries(tx, records.map(toEntry));
  }

  /** Writes everything queued so far; resolves once it is stored (shutdown and tests wait on it). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(() => (batch.length ? this.writeBatch(batch) : undefined));
    return this.flushing;
  }

  private async writeBatch(batch: PendingRecord[]): Promise<void> {
    try {
      // One lookup for the whole batch: the patients of every row searches returned and instances read.
      const patients = await patientsOf(this.ctx.db, batch.flatMap((r) => r.lookups ?? []));
      for (const rec of batch) {
        const found = (rec.lookups ?? []).flatMap((row) => patients.get(row.rid) ?? []);
        if (found.length) rec.patients = [...new Set([...rec.patients, ...found])];
      }
      // No transaction: one statement is atomic, and BEGIN/COMMIT would be two more round trips.
      await insertAuditEntries(this.ctx.db, batch.map(toEntry));
    } catch (err) {
      // The trail must not fail silently: a lost batch is an error in the logs with its size.
      logger.error({ err, lost: batch.length }, 'audit events could not be written');
    }
  }
}
