// Loads the demo territory on a first start (DEMO=0 skips it); idempotent, as its entries are PUTs.
import fs from 'node:fs';
import path from 'node:path';
import type { HubContext } from '../fhir/hub-context';
import { logger } from '../logger';
import { importFile } from './import-files';

export const DEMO_FILE = path.resolve(__dirname, '../../fixtures/demo/territory.json');
const DEMO_LOCK_KEY = 4_242_002;

/**
 * Replicas starting together on one empty PostgreSQL would both load the demo, and one of them fail on
 * the ids the other created. The first to take this lock loads it; the others then find data.
 * The lock is held by a transaction on one pooled connection while the load runs on others: a pool of
 * one connection cannot do that, and PGlite belongs to one process anyway, so those go without.
 */
async function underDemoLock<T>(ctx: HubContext, fn: () => Promise<T>): Promise<T> {
  if (ctx.db.engine !== 'postgres' || ctx.config.databasePoolSize < 2) return fn();
  return ctx.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [DEMO_LOCK_KEY]);
    return fn();
  });
}

export async function loadDemoIfEmpty(ctx: HubContext): Promise<boolean> {
  if (!fs.existsSync(DEMO_FILE)) {
    logger.warn({ file: DEMO_FILE }, 'demo territory file not found; starting without it');
    return false;
  }
  return underDemoLock(ctx, async () => {
    // The conformance resources stored from FHIR packages (never deleted) do not make a database non-empty.
    const r = await ctx.db.query<{ n: number }>('SELECT ((SELECT count(*) FROM resource) - (SELECT coalesce(sum(resources), 0) FROM loaded_package))::int AS n');
    if (Number(r.rows[0].n) > 0) return false;
    const report = await importFile(ctx, DEMO_FILE);
    if (report.failures.length > 0) {
      logger.warn({ resources: report.resources, failures: report.failures.slice(0, 5) }, 'demo territory loaded with failures');
    } else logger.info({ resources: report.resources }, 'demo territory loaded');
    return true;
  });
}
