// The write path shared by every interaction: stamp, validate, index, store — inside the caller's transaction.
import { randomUUID } from 'node:crypto';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../store/db';
import { readCurrent, writeVersions, type StoredVersion, type VersionWrite } from '../store/resource-store';
import { errors } from './errors';
import type { HubContext } from './hub-context';
import { assertNotClaimingOrigin } from './package-origin';
import { indexResource } from './search/index-values';
import { checkSearchParameter, registerSearchParameter } from './search/stored-params';
import { sameContent, stampMeta } from './versioning';

export interface Written {
  version: StoredVersion;
  resource: Resource | undefined;
  /** false when an update changed nothing and no version was written. */
  changed: boolean;
  created: boolean;
}

export function newId(): string {
  return randomUUID();
}

/**
 * Validation of a write (base R4, meta.profile, required profiles, French identifiers): errors reject it with 422
 * and the full OperationOutcome; the warnings are returned, for `Prefer: return=OperationOutcome`.
 */
export function assertValid(ctx: HubContext, resource: Resource): OperationOutcomeIssue[] {
  const issues = ctx.validate(resource);
  if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) throw errors.unprocessable(issues);
  return issues;
}

export function prepareWrite(ctx: HubContext, resource: Resource, version: number, lastUpdated: string, method: 'create' | 'update', rid?: number): { write: VersionWrite; resource: Resource } {
  checkSearchParameter(resource);
  assertNotClaimingOrigin(resource);
  const stamped = stampMeta(resource, version, lastUpdated);
  // Searchable at once for new writes; resources stored before need `fhir-hub reindex`.
  registerSearchParameter(ctx.registry, stamped);
  const content = JSON.stringify(stamped);
  return {
    resource: stamped,
    write: {
      rid,
      resType: stamped.resourceType,
      id: stamped.id!,
      version,
      lastUpdated,
      method,
      content,
      rows: indexResource(ctx.registry, stamped as unknown as Record<string, unknown>, ctx.config.baseUrl),
    },
  };
}

/** Every write of the FHIR API is stored here, so that access control and audit see it inside its transaction. */
export async function storeVersions(ctx: HubContext, tx: Queryable, writes: VersionWrite[]): Promise<number[]> {
  await ctx.guard?.beforeWrite(tx, writes);
  const rids = await writeVersions(tx, writes);
  await ctx.guard?.afterWrite(tx, writes);
  for (const [type, rule] of ctx.writeRules ?? []) {
    const mine = rule.afterStore ? writes.filter((w) => w.resType === type) : [];
    if (mine.length > 0) await rule.afterStore!(tx, mine);
  }
  return rids;
}

function toStored(w: VersionWrite, rid: number): StoredVersion {
  return { rid, resType: w.resType, id: w.id, version: w.version, lastUpdated: w.lastUpdated, deleted: w.method === 'delete', content: w.content };
}

/** A client's write through its type's rule (ctx.writeRules), which may rewrite or refuse it. */
export async function applyWriteRule(ctx: HubContext, tx: Queryable, resource: Resource, current: StoredVersion | undefined): Promise<Resource> {
  const rule = ctx.writeRules?.get(resource.resourceType);
  return rule ? rule.beforeStore(tx, resource, current) : resource;
}

/** Creates a resource with the id it carries (the caller assigned it). */
export async function persistCreate(ctx: HubContext, tx: Queryable, given: Resource): Promise<Written> {
  const resource = await applyWriteRule(ctx, tx, given, undefined);
  const lastUpdated = ctx.now().toISOString();
  const { write, resource: stamped } = prepareWrite(ctx, resource, 1, lastUpdated, 'create');
  const [rid] = await storeVersions(ctx, tx, [write]);
  return { version: toStored(write, rid), resource: stamped, changed: true, created: true };
}

/**
 * Creates or updates `resource` (which carries its id), given the current row locked by the caller.
 * `asHub`: the hub's own change (e.g. a subscription's status), which skips the type's client write rule.
 */
export async function persistUpdate(ctx: HubContext, tx: Queryable, given: Resource, current: StoredVersion | undefined, asHub = false): Promise<Written> {
  const resource = asHub ? given : await applyWriteRule(ctx, tx, given, current);
  if (current && !current.deleted && current.content && sameContent(JSON.parse(current.content), resource)) {
    return { version: current, resource: JSON.parse(current.content), changed: false, created: false };
  }
  const lastUpdated = ctx.now().toISOString();
  const version = current ? current.version + 1 : 1;
  const method = current && !current.deleted ? 'update' : 'create';
  const { write, resource: stamped } = prepareWrite(ctx, resource, version, lastUpdated, method, current?.rid);
  const [rid] = await storeVersions(ctx, tx, [write]);
  return { version: toStored(write, rid), resource: stamped, changed: true, created: method === 'create' };
}

/** Logical delete: a new version marked deleted; index rows go. A missing or deleted resource is a no-op. */
export async function persistDelete(ctx: HubContext, tx: Queryable, current: StoredVersion): Promise<StoredVersion | undefined> {
  if (current.deleted) return undefined;
  await ctx.writeRules?.get(current.resType)?.beforeDelete?.(tx, current);
  const write: VersionWrite = {
    rid: current.rid,
    resType: current.resType,
    id: current.id,
    version: current.version + 1,
    lastUpdated: ctx.now().toISOString(),
    method: 'delete',
    content: null,
    rows: null,
  };
  await storeVersions(ctx, tx, [write]);
  return toStored(write, current.rid);
}

/**
 * The current row, locked until the transaction ends. When there is no row yet, FOR UPDATE locks
 * nothing: concurrent creators of the same id are then serialized on an advisory lock, and the
 * row is read again (a creator that got there first has committed by the time the lock is ours).
 */
export async function lockCurrent(tx: Queryable, resType: string, id: string): Promise<StoredVersion | undefined> {
  const current = await readCurrent(tx, resType, id, true);
  if (current) return current;
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${resType}/${id}`]);
  return readCurrent(tx, resType, id, true);
}
