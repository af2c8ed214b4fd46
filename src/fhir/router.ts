// Maps a FHIR request (method + path) onto an interaction; HTTP requests and Bundle entries both come here.
import type { Queryable } from '../store/db';
import { errors } from './errors';
import type { HubContext } from './hub-context';
import type { FhirRequest, FhirResponse } from './request';
import { processBundle } from './bundle/process';
import { capabilities } from './interactions/capabilities';
import { create } from './interactions/create';
import { conditionalDelete, deleteResource } from './interactions/delete';
import { history } from './interactions/history';
import { conditionalPatch, patch } from './interactions/patch';
import { read } from './interactions/read';
import { searchCompartment, searchSystem, searchType } from './interactions/search';
import { conditionalUpdate, update } from './interactions/update';
import { vread } from './interactions/vread';
import { operationFor } from './operations';

export type Interaction = (ctx: HubContext, req: FhirRequest, tx?: Queryable) => Promise<FhirResponse>;

/** Picks the interaction for a request; throws 404/405 for paths and methods the API does not have. */
export function route(req: FhirRequest): Interaction {
  const p = req.path;
  const m = req.method === 'HEAD' ? 'GET' : req.method;
  const notAllowed = () => errors.methodNotAllowed(`${req.method} is not allowed on /${p.join('/')}`);
  if (p.length === 0) {
    if (m === 'POST') return processBundle;
    if (m === 'GET') return searchSystem;
    throw notAllowed();
  }
  if (p[0].startsWith('$')) throw errors.notSupported(`Operation ${p[0]} is not supported`);
  if (p.length === 1) {
    if (p[0] === 'metadata' && m === 'GET') return capabilities;
    if (p[0] === '_history' && m === 'GET') return history;
    if (p[0] === '_search' && m === 'POST') return searchSystem;
    const byMethod: Record<string, Interaction> = { GET: searchType, POST: create, PUT: conditionalUpdate, DELETE: conditionalDelete, PATCH: conditionalPatch };
    if (byMethod[m]) return byMethod[m];
    throw notAllowed();
  }
  if (p.length === 2) {
    if (p[1] === '_search' && m === 'POST') return searchType;
    if (p[1] === '_history' && m === 'GET') return history;
    if (p[1].startsWith('$')) return operationFor(req, p[0], 'type', p[1]);
    const byMethod: Record<string, Interaction> = { GET: read, PUT: update, DELETE: deleteResource, PATCH: patch };
    if (byMethod[m]) return byMethod[m];
    throw notAllowed();
  }
  if (p[2] === '_history' && m === 'GET') {
    if (p.length === 3) return history;
    if (p.length === 4) return vread;
  }
  if (p.length === 3 && p[2].startsWith('$')) return operationFor(req, p[0], 'instance', p[2]);
  if (p[2]?.startsWith('$')) throw errors.notSupported(`Operation ${p[2]} is not supported`);
  if (p.length === 3 && m === 'GET') return searchCompartment;
  if (p.length === 4 && p[3] === '_search' && m === 'POST') return searchCompartment;
  throw errors.notFound(`No FHIR endpoint at /${p.join('/')}`);
}

/** The interaction of a type served by its own store (ctx.backends), or the generic one. */
function routeIn(ctx: HubContext, req: FhirRequest): Interaction {
  const p = req.path;
  // A Bundle a workflow takes over (e.g. a FHIR document POSTed to Bundle is a letter to file: docs/letters.md).
  const intake = p.length === 1 && p[0] === 'Bundle' && req.method === 'POST' ? ctx.bundleIntakes?.find((i) => i.takes(req.body, 'create')) : undefined;
  if (intake) return intake.run;
  const backend = ctx.backends && p.length > 0 ? (ctx.backends[p[0]] ?? (p.length >= 3 && !p[2].startsWith('$') && p[2] !== '_history' ? ctx.backends[p[2]] : undefined)) : undefined;
  return backend?.route(req) ?? route(req);
}

export function dispatch(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  // The guard (src/security) sees every interaction, Bundle entries included, refused ones too.
  if (ctx.guard) return ctx.guard.around(req, tx, () => routeIn(ctx, req)(ctx, req, tx));
  return routeIn(ctx, req)(ctx, req, tx);
}
