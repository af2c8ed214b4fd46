// transaction (FHIR R4 §3.1.0.11.2): all entries in one database transaction, in the order the
// specification prescribes (DELETE, POST, PUT/PATCH, GET/HEAD), references resolved across entries.
import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { conditionalUpdateId, criteriaFromParams, findMatches } from '../interactions/conditional';
import { assertResourceType, resourceBody } from '../interactions/body';
import { writeOutcome } from '../interactions/respond';
import { applyWriteRule, assertValid, newId, prepareWrite, storeVersions } from '../persist';
import { preferReturn, type FhirRequest, type FhirResponse } from '../request';
import { dispatch } from '../router';
import { entryRequest } from './entry-request';
import { resolveConditionalReference, visitReferences, visitUuidUrls } from './references';
import { entryFailure, responseEntry, type EntryResult } from './entry-response';

const PHASE: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

interface Planned {
  index: number;
  req: FhirRequest;
  fullUrl?: string;
  /** For POST: the id the new resource gets, or the existing match of If-None-Exist. */
  assignedId?: string;
  existingId?: string;
}

export async function processTransaction(ctx: HubContext, bundle: Bundle, prefer: string | undefined): Promise<FhirResponse> {
  const entries: BundleEntry[] = bundle.entry ?? [];
  const plan: Planned[] = entries.map((e, index) => {
    const req = entryRequest(e, index, ctx.config.baseUrl);
    // Entries answer minimally unless the client asks for more (as HAPI does): imports stay light.
    req.headers.prefer = prefer ?? 'return=minimal';
    return { index, req, fullUrl: e.fullUrl };
  });
  const results = await ctx.db.transaction(async (tx) => {
    const out: EntryResult[] = new Array(plan.length);
    const ordered = [...plan].sort((a, b) => PHASE[a.req.method] - PHASE[b.req.method] || a.index - b.index);
    await resolveConditionalTargets(ctx, tx, plan);
    for (const p of ordered.filter((x) => x.req.method === 'DELETE')) out[p.index] = await run(ctx, tx, p);
    const ids = await assignIdentities(ctx, tx, plan);
    // Identities are known only now that conditional URLs are resolved; an overlap fails the whole.
    checkDuplicates(plan);
    await rewriteReferences(ctx, tx, plan, ids);
    await createAll(ctx, tx, plan.filter((p) => p.req.method === 'POST'), out);
    for (const p of ordered.filter((x) => PHASE[x.req.method] >= 2)) out[p.index] = await run(ctx, tx, p);
    return out;
  });
  const response: Bundle = { resourceType: 'Bundle', type: 'transaction-response' };
  // FHIR forbids empty arrays: an empty transaction answers with no entry element.
  if (results.length > 0) response.entry = results.map(responseEntry);
  return { status: 200, resource: response, headers: {} };
}

async function run(ctx: HubContext, tx: Queryable, p: Planned): Promise<EntryResult> {
  try {
    return { response: await dispatch(ctx, p.req, tx) };
  } catch (err) {
    throw entryFailure(err, p.index, p.req);
  }
}

/** Conditional DELETE and PATCH become plain ones on the resource their criteria match (§3.1.0.11.2). */
async function resolveConditionalTargets(ctx: HubContext, tx: Queryable, plan: Planned[]): Promise<void> {
  for (const p of plan) {
    const { req } = p;
    if ((req.method !== 'DELETE' && req.method !== 'PATCH') || req.path.length !== 1) continue;
    try {
      const type = req.path[0];
      assertResourceType(type);
      const found = await findMatches(ctx, tx, type, criteriaFromParams(req.params));
      if (found.length > 1) throw errors.multipleMatches(`The criteria of entry ${p.index} match several ${type} resources`);
      // No match: a conditional delete has nothing to do, a conditional patch answers 404 when it runs.
      if (found.length === 1) {
        req.path = [type, found[0].id];
        req.params = [];
      }
    } catch (err) {
      throw entryFailure(err, p.index, req);
    }
  }
}

function checkDuplicates(plan: Planned[]): void {
  const seen = new Map<string, number>();
  for (const p of plan) {
    const { method, path } = p.req;
    let key: string | undefined;
    if (method === 'POST' && p.existingId) key = `${path[0]}/${p.existingId}`;
    else if ((method === 'PUT' || method === 'PATCH' || method === 'DELETE') && path.length === 2) key = path.join('/');
    if (!key) continue;
    if (seen.has(key)) {
      throw errors.badRequest(`Entries ${seen.get(key)} and ${p.index} both change ${key}; a transaction may touch a resource once`, `Bundle.entry[${p.index}].request.url`, 'HUB-0465');
    }
    seen.set(key, p.index);
  }
}

/** Decides the id of every POST (new or If-None-Exist match) and PUT, mapping fullUrls to Type/id. */
async function assignIdentities(ctx: HubContext, tx: Queryable, plan: Planned[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const p of plan) {
    const { req } = p;
    const type = req.path[0];
    try {
      if (req.method === 'POST' && req.path.length === 1) {
        assertResourceType(type);
        if (req.headers.ifNoneExist) {
          const found = await findMatches(ctx, tx, type, [...new URLSearchParams(req.headers.ifNoneExist).entries()]);
          if (found.length > 1) throw errors.multipleMatches(`If-None-Exist of entry ${p.index} matches several ${type} resources`);
          if (found.length === 1) p.existingId = found[0].id;
        }
        p.assignedId = p.existingId ?? newId();
        if (p.fullUrl) ids.set(p.fullUrl, `${type}/${p.assignedId}`);
      } else if (req.method === 'PUT' && req.path.length === 1 && req.params.length > 0) {
        // Conditional update: resolve it now, so references to it can be rewritten.
        assertResourceType(type);
        const body = resourceBody(req.body, type);
        const id = await conditionalUpdateId(ctx, tx, type, criteriaFromParams(req.params), body.id, newId);
        req.body = { ...body, id };
        req.path = [type, id];
        req.params = [];
        if (p.fullUrl) ids.set(p.fullUrl, `${type}/${id}`);
      } else if (req.method === 'PUT' && req.path.length === 2 && p.fullUrl) {
        ids.set(p.fullUrl, req.path.join('/'));
      }
    } catch (err) {
      throw entryFailure(err, p.index, req);
    }
  }
  return ids;
}

async function rewriteReferences(ctx: HubContext, tx: Queryable, plan: Planned[], ids: Map<string, string>): Promise<void> {
  const cache = new Map<string, string>();
  for (const p of plan) {
    const body = p.req.body;
    if (typeof body !== 'object' || body === null || p.req.method === 'PATCH') continue;
    // A Bundle stored as a resource (a FHIR document) resolves its references within itself (§2.36.4).
    if ((body as { resourceType?: string }).resourceType === 'Bundle') continue;
    visitUuidUrls(body, (url, holder) => {
      const mapped = ids.get(url);
      if (mapped) holder.url = mapped;
    });
    const holders: { ref: string; holder: Record<string, unknown> }[] = [];
    visitReferences(body, (ref, holder) => holders.push({ ref, holder }));
    for (const { ref, holder } of holders) {
      const where = `Bundle.entry[${p.index}].resource`;
      const mapped = ids.get(ref);
      if (mapped) holder.reference = mapped;
      else if (ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:')) {
        throw errors.badRequest(`Entry ${p.index} refers to "${ref}", which no entry of the transaction has as fullUrl`, where, 'HUB-0466');
      } else if (ref.includes('?')) {
        holder.reference = await resolveConditionalReference(ctx, tx, ref, cache, where);
      }
    }
  }
}

/** All POST entries at once: validated one by one, written with a few bulk statements. */
async function createAll(ctx: HubContext, tx: Queryable, posts: Planned[], out: EntryResult[]): Promise<void> {
  const lastUpdated = ctx.now().toISOString();
  const writes = [];
  const created: { p: Planned; resource: Resource; warnings: OperationOutcomeIssue[] }[] = [];
  for (const p of posts) {
    try {
      const type = p.req.path[0];
      if (p.existingId) {
        const existing = (await readCurrent(tx, type, p.existingId))!;
        out[p.index] = { response: { status: 200, headers: { ETag: `W/"${existing.version}"`, Location: `${ctx.config.baseUrl}/${type}/${existing.id}/_history/${existing.version}` } } };
        continue;
      }
      const given: Resource = { ...resourceBody(p.req.body, type), id: p.assignedId };
      const warnings = assertValid(ctx, given);
      const resource = await applyWriteRule(ctx, tx, given, undefined);
      const prepared = prepareWrite(ctx, resource, 1, lastUpdated, 'create');
      writes.push(prepared.write);
      created.push({ p, resource: prepared.resource, warnings });
    } catch (err) {
      throw entryFailure(err, p.index, p.req);
    }
  }
  if (writes.length > 0) await storeVersions(ctx, tx, writes);
  for (const { p, resource, warnings } of created) {
    const headers = {
      ETag: 'W/"1"',
      Location: `${ctx.config.baseUrl}/${resource.resourceType}/${resource.id}/_history/1`,
      'Last-Modified': new Date(lastUpdated).toUTCString(),
    };
    const prefer = preferReturn(p.req);
    const body = prefer === 'representation' ? resource : prefer === 'OperationOutcome' ? writeOutcome(`Created ${resource.resourceType}/${resource.id}`, warnings) : undefined;
    out[p.index] = { response: { status: 201, headers, resource: body }, lastModified: lastUpdated };
  }
}

