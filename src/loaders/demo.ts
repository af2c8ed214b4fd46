// Loads the demo territory on a first start (DEMO=0 skips it); idempotent, as its entries are PUTs.
import fs from 'node:fs';
import path from 'node:path';
import type { HubContext } from '../fhir/hub-context';
import { logger } from '../logger';
import { importFile } from './import-files';

export const DEMO_FILE = path.resolve(__dirname, '../../fixtures/demo/territory.json');

export async function loadDemoIfEmpty(ctx: HubContext): Promise<boolean> {
  const r = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource');
  if (Number(r.rows[0].n) > 0 || !fs.existsSync(DEMO_FILE)) return false;
  const report = await importFile(ctx, DEMO_FILE);
  if (report.failures.length > 0) logger.warn({ failures: report.failures.slice(0, 5) }, 'demo territory loaded with failures');
  logger.info({ resources: report.resources }, 'demo territory loaded');
  return true;
}
