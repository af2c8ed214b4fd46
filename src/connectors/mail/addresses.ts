// Who has a mail address (docs/mail-bridge.md "Who is mailed"): a secure-email Endpoint, or an email telecom of a
// person who cannot log in to the hub (no RPPS / idNat_PS). Forward (recipient → address) and reverse (From → sender).
import type { ContactPoint, Endpoint, Identifier, Resource } from '@medplum/fhirtypes';
import type { HubContext } from '../../fhir/hub-context';
import { newRequest } from '../../fhir/request';
import { dispatch } from '../../fhir/router';
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { ENDPOINT_CONNECTION_TYPE, LOGIN_IDENTIFIER_SYSTEMS, normaliseAddress, SECURE_EMAIL } from './vocabulary';

const WITH_ENDPOINT = ['PractitionerRole', 'Organization', 'HealthcareService'];
const WITH_TELECOM = ['Practitioner', 'RelatedPerson'];

/** A search run as the hub's own work (no request context), in the given transaction when there is one. */
export async function searchIn<T extends Resource>(ctx: HubContext, tx: Queryable | undefined, type: string, params: [string, string][]): Promise<T[]> {
  const out = await dispatch(ctx, newRequest('GET', [type], { params: [...params, ['_count', '100']] }), tx);
  const bundle = out.resource ?? (out.json ? JSON.parse(out.json) : undefined);
  return ((bundle?.entry ?? []) as { resource: T; search?: { mode?: string } }[]).filter((e) => e.search?.mode !== 'include').map((e) => e.resource);
}

export async function readResource<T extends Resource>(q: Queryable, ref: string): Promise<T | undefined> {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  if (!m) return undefined;
  const stored = await readCurrent(q, m[1], m[2]);
  return stored?.content ? (JSON.parse(stored.content) as T) : undefined;
}

const isSecureEmail = (e: Endpoint | undefined): e is Endpoint =>
  !!e && e.status === 'active' && e.connectionType?.system === ENDPOINT_CONNECTION_TYPE && e.connectionType?.code === SECURE_EMAIL && !!e.address;

const canLogIn = (ids: Identifier[] | undefined) => (ids ?? []).some((i) => LOGIN_IDENTIFIER_SYSTEMS.includes(i.system ?? ''));
const emailOf = (telecom: ContactPoint[] | undefined) => telecom?.find((t) => t.system === 'email' && t.value && !t.period?.end)?.value;

async function endpointAddress(q: Queryable, refs: { reference?: string }[] | undefined): Promise<string | undefined> {
  for (const r of refs ?? []) {
    const e = r.reference?.startsWith('Endpoint/') ? await readResource<Endpoint>(q, r.reference) : undefined;
    if (isSecureEmail(e)) return normaliseAddress(e.address);
  }
  return undefined;
}

/** The mail address a recipient (`Type/id`) is reached at, or undefined when the hub reaches them otherwise. */
export async function mailAddressOf(ctx: HubContext, tx: Queryable, ref: string): Promise<string | undefined> {
  const type = ref.split('/')[0];
  const resource = await readResource<Resource & { endpoint?: { reference?: string }[]; telecom?: ContactPoint[]; identifier?: Identifier[] }>(tx, ref);
  if (!resource) return undefined;
  if (WITH_ENDPOINT.includes(type)) return endpointAddress(tx, resource.endpoint);
  if (type === 'Practitioner') {
    // Through the secure-email Endpoint of one of their roles first: that is the address the professional chose.
    for (const role of await searchIn<{ endpoint?: { reference?: string }[] } & Resource>(ctx, tx, 'PractitionerRole', [['practitioner', ref], ['active', 'true']])) {
      const address = await endpointAddress(tx, role.endpoint);
      if (address) return address;
    }
  }
  if (WITH_TELECOM.includes(type) && !canLogIn(resource.identifier)) {
    const email = emailOf(resource.telecom);
    if (email) return normaliseAddress(email);
  }
  return undefined;
}

/** Every `Type/id` reached at this address by the rule above (several when a Practitioner and their role share it). */
export async function holdersOf(ctx: HubContext, address: string): Promise<string[]> {
  const wanted = normaliseAddress(address);
  const out: string[] = [];
  const endpoints = await searchIn<Endpoint>(ctx, undefined, 'Endpoint', [['connection-type', `${ENDPOINT_CONNECTION_TYPE}|${SECURE_EMAIL}`], ['status', 'active']]);
  for (const e of endpoints.filter((x) => isSecureEmail(x) && normaliseAddress(x.address) === wanted)) {
    for (const type of WITH_ENDPOINT) {
      for (const r of await searchIn<Resource>(ctx, undefined, type, [['endpoint', `Endpoint/${e.id}`]])) {
        out.push(`${type}/${r.id}`);
        const practitioner = (r as { practitioner?: { reference?: string } }).practitioner?.reference;
        if (type === 'PractitionerRole' && practitioner) out.push(practitioner);
      }
    }
  }
  // The email token index, read directly: token search is case-sensitive, mail addresses are not in practice.
  const people = await ctx.db.query<{ res_type: string; content: string }>(
    `SELECT r.res_type, r.content FROM idx_token t JOIN resource r ON r.rid = t.rid
      WHERE t.res_type = ANY($1::text[]) AND t.param = 'email' AND lower(t.code) = $2 AND NOT r.deleted`,
    [WITH_TELECOM, wanted],
  );
  for (const row of people.rows) {
    const r = JSON.parse(row.content) as Resource & { identifier?: Identifier[]; telecom?: ContactPoint[] };
    const email = emailOf(r.telecom);
    if (!canLogIn(r.identifier) && email && normaliseAddress(email) === wanted) out.push(`${row.res_type}/${r.id}`);
  }
  return [...new Set(out)];
}
