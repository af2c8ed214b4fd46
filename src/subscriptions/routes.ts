// The Subscription operations of the FHIR API (Backport IG OperationDefinitions $status, $events,
// $get-ws-binding-token) and the hub's $delivery-log, each refused to anyone but the subscription's owner.
import type { Bundle, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { errors } from '../fhir/errors';
import type { HubContext } from '../fhir/hub-context';
import { assertId } from '../fhir/interactions/body';
import { registerOperation } from '../fhir/operations';
import { OperationInput } from '../fhir/operations/terminology-params';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import type { Queryable } from '../store/db';
import { eventsQueryFromParams, subscriptionEvents, subscriptionStatus } from './operations';
import { readPrivate } from './private-store';
import { readDeliveryLog } from './status';
import { issueBindingToken } from './websocket-tokens';

const IG = 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition';

/** 403 unless the caller owns the subscription (or nothing restricts the caller). */
export async function assertOwner(ctx: HubContext, q: Queryable, id: string): Promise<void> {
  const caller = ctx.guard?.caller();
  if (!caller || caller.unrestricted) return;
  const kept = await readPrivate(q, id);
  if (kept?.ownerRef ? kept.ownerRef === caller.ownerRef : !caller.access?.care) return;
  throw errors.forbidden(`Subscription/${id} is not yours: its status, events and deliveries are for its owner only`);
}

/** Live subscriptions the caller may ask about: their own, or every one when nothing restricts them. */
async function ownedIds(ctx: HubContext): Promise<string[]> {
  const caller = ctx.guard?.caller();
  const restricted = caller && !caller.unrestricted;
  const r = await ctx.db.query<{ id: string }>(
    `SELECT r.id FROM resource r LEFT JOIN subscription_private p ON p.sub_id = r.id
      WHERE r.res_type = 'Subscription' AND NOT r.deleted AND ($1::boolean = false OR p.owner_ref = $2) ORDER BY r.id`,
    [Boolean(restricted), caller?.ownerRef ?? null],
  );
  return r.rows.map((row) => row.id);
}

/** The `id` parameters of a type-level call (URL or Parameters body). */
function idParams(req: FhirRequest): string[] {
  const fromUrl = req.params.filter(([k]) => k === 'id').flatMap(([, v]) => v.split(','));
  const body = (req.body as Parameters | undefined)?.parameter ?? [];
  const fromBody = body.filter((p) => p.name === 'id').map((p) => String(p.valueString ?? p.valueId ?? ''));
  return [...fromUrl, ...fromBody].map((s) => s.trim()).filter(Boolean);
}

async function statusOperation(ctx: HubContext, req: FhirRequest): Promise<FhirResponse> {
  const instance = req.path.length === 3 ? req.path[1] : undefined;
  let ids = instance ? [instance] : idParams(req);
  if (ids.length === 0) ids = await ownedIds(ctx);
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', timestamp: new Date().toISOString(), entry: [] };
  for (const id of ids) {
    assertId(id);
    await assertOwner(ctx, ctx.db, id);
    bundle.entry!.push(...((await subscriptionStatus(ctx, id)).entry ?? []));
  }
  bundle.total = bundle.entry!.length;
  return { status: 200, resource: bundle, headers: {} };
}

async function eventsOperation(ctx: HubContext, req: FhirRequest): Promise<FhirResponse> {
  const id = req.path[1];
  await assertOwner(ctx, ctx.db, id);
  const input = new OperationInput(req, '$events');
  const params: [string, string][] = [];
  for (const name of ['eventsSinceNumber', 'eventsUntilNumber', 'content']) {
    const v = input.string(name);
    if (v !== undefined) params.push([name, v]);
  }
  return { status: 200, resource: await subscriptionEvents(ctx, id, eventsQueryFromParams(params)), headers: {} };
}

async function deliveryLogOperation(ctx: HubContext, req: FhirRequest): Promise<FhirResponse> {
  const id = req.path[1];
  await assertOwner(ctx, ctx.db, id);
  const count = new OperationInput(req, '$delivery-log').integer('_count') ?? 100;
  const lines = await readDeliveryLog(ctx.db, id, count);
  const parameter: ParametersParameter[] = lines.map((l) => ({
    name: 'attempt',
    part: [
      { name: 'time', valueInstant: l.at },
      { name: 'kind', valueCode: l.kind },
      ...(l.eventNumber !== undefined ? [{ name: 'eventNumber', valueInteger64: String(l.eventNumber) } as ParametersParameter] : []),
      ...(l.httpStatus !== undefined ? [{ name: 'httpStatus', valueInteger: l.httpStatus }] : []),
      { name: 'latencyMs', valueInteger: l.latencyMs },
      ...(l.error ? [{ name: 'error', valueString: l.error }] : []),
    ],
  }));
  return { status: 200, resource: { resourceType: 'Parameters', parameter }, headers: {} };
}

async function bindingTokenOperation(ctx: HubContext, req: FhirRequest): Promise<FhirResponse> {
  const ids = req.path.length === 3 ? [req.path[1]] : idParams(req);
  if (ids.length === 0) throw errors.badRequest('Name the subscriptions to bind with one or more id parameters', 'id');
  for (const id of ids) {
    assertId(id);
    const current = await ctx.db.query<{ content: string }>(`SELECT content FROM resource WHERE res_type = 'Subscription' AND id = $1 AND NOT deleted`, [id]);
    if (!current.rows[0]) throw errors.notFound(`Subscription/${id} is not known`);
    if (JSON.parse(current.rows[0].content).channel?.type !== 'websocket') throw errors.badRequest(`Subscription/${id} does not use a websocket channel`, 'id');
    await assertOwner(ctx, ctx.db, id);
  }
  const { token, expiresAt } = await issueBindingToken(ctx.db, ids);
  const parameter: ParametersParameter[] = [
    { name: 'token', valueString: token },
    { name: 'expiration', valueDateTime: expiresAt.toISOString() },
    ...ids.map((id) => ({ name: 'subscription', valueString: `${ctx.config.baseUrl}/Subscription/${id}` })),
    { name: 'websocket-url', valueUrl: websocketUrl(ctx.config.baseUrl) },
  ];
  return { status: 200, resource: { resourceType: 'Parameters', parameter }, headers: {} };
}

/** Where clients connect their websockets: the path WEBSOCKET_PATH on the FHIR base URL's origin. */
export const WEBSOCKET_PATH = '/ws/subscriptions';
export function websocketUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}${WEBSOCKET_PATH}`;
}

export function registerSubscriptionOperations(): void {
  const sub = ['Subscription'];
  registerOperation({ name: 'status', definition: `${IG}/backport-subscription-status`, level: 'instance', types: sub, methods: ['GET', 'POST'], run: statusOperation });
  registerOperation({ name: 'status', definition: `${IG}/backport-subscription-status`, level: 'type', types: sub, methods: ['GET', 'POST'], run: statusOperation });
  registerOperation({ name: 'events', definition: `${IG}/backport-subscription-events`, level: 'instance', types: sub, methods: ['GET', 'POST'], run: eventsOperation });
  registerOperation({ name: 'get-ws-binding-token', definition: `${IG}/backport-subscription-get-ws-binding-token`, level: 'instance', types: sub, methods: ['GET', 'POST'], run: bindingTokenOperation });
  registerOperation({ name: 'get-ws-binding-token', definition: `${IG}/backport-subscription-get-ws-binding-token`, level: 'type', types: sub, methods: ['GET', 'POST'], run: bindingTokenOperation });
  registerOperation({ name: 'delivery-log', definition: 'https://fhir-hub.fr/ig/OperationDefinition/subscription-delivery-log', level: 'instance', types: sub, methods: ['GET'], run: deliveryLogOperation });
}
