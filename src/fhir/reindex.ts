// Rebuilds search indexes after SearchParameters change (FHIR R4 §3.1.1: values are extracted when a
// resource is written; a new or changed parameter needs the stored resources extracted again).
import { countCurrent, reindexBatch, storedTypes } from '../store/reindex-batch';
import { isResourceType } from './definitions';
import { errors } from './errors';
import type { HubContext } from './hub-context';
import { indexResource } from './search/index-values';

export interface ReindexProgress {
  type: string;
  done: number;
  total: number;
}

const BATCH = 500;

/** Reindexes the given types (every stored type when none); returns the number of resources reindexed. */
export async function reindex(ctx: HubContext, types: string[], onProgress: (p: ReindexProgress) => void = () => undefined): Promise<number> {
  for (const t of types) if (!isResourceType(t)) throw errors.badRequest(`Unknown resource type "${t}"`, undefined, 'HUB-0426');
  const list = types.length > 0 ? types : await storedTypes(ctx.db);
  const index = (content: string) => indexResource(ctx.registry, JSON.parse(content), ctx.config.baseUrl);
  let all = 0;
  for (const type of list) {
    const total = await countCurrent(ctx.db, type);
    let done = 0;
    let lastRid = 0;
    onProgress({ type, done, total });
    for (;;) {
      const batch = await reindexBatch(ctx.db, type, lastRid, BATCH, index);
      if (batch.count === 0) break;
      done += batch.count;
      lastRid = batch.lastRid;
      onProgress({ type, done, total: Math.max(total, done) });
    }
    all += done;
  }
  return all;
}
