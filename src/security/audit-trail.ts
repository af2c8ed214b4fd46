// The audit trail (IHE BALP): AuditEvents stored as resources; writes audited in their own transaction, reads in batches.
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { HubContext } from '../fhir/hub-context';
import { prepareWrite } from '../fhir/persist';
import { logger } from '../logger';
import { patientsOf } from '../store/access-sql';
import type { Queryable } from '../store/db';
import { writeVersions, type VersionWrite } from '../store/resource-store';
import { buildAuditEvent, type AuditRecord } from './audit-event';

/** A record whose patients are looked up when the batch is written: the rows a search returned, an instance read. */
export interface PendingRecord extends AuditRecord {
  lookupRids?: number[];
}

const BATCH_SIZE = 200;
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
    await writeVersions(tx, records.map((r) => this.toWrite(r)));
  }

  /** Writes everything queued so far; resolves once it is stored. */
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
      const rids = [...new Set(batch.flatMap((r) => r.lookupRids ?? []))];
      const patients = await patientsOf(this.ctx.db, rids);
      for (const rec of batch) {
        const found = (rec.lookupRids ?? []).flatMap((rid) => patients.get(rid) ?? []);
        rec.patients = [...new Set([...rec.patients, ...found])];
      }
      await this.ctx.db.transaction((tx) => writeVersions(tx, batch.map((r) => this.toWrite(r))));
    } catch (err) {
      // The trail must not fail silently: a lost batch is an error in the logs with its size.
      logger.error({ err, lost: batch.length }, 'audit events could not be written');
    }
  }

  private toWrite(rec: AuditRecord): VersionWrite {
    const event = { ...buildAuditEvent(rec, this.ctx.config.baseUrl), id: randomUUID() } as Resource;
    return prepareWrite(this.ctx, event, 1, this.ctx.now().toISOString(), 'create').write;
  }
}
