// A system client registered for FINESS (security_client_finess, migration 006) writes documents and communications
// for those établissements only (issue 5): checked on every stored version, so REST writes, Bundle entries and the
// letters' transaction go through this one rule (letters are checked earlier too, with the same FINESS reading).
import type { Communication, DocumentReference, Identifier, Organization, PractitionerRole, Reference, Resource } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/errors';
import { clientFiness } from '../store/client-finess';
import type { Queryable } from '../store/db';
import { readCurrent, type VersionWrite } from '../store/resource-store';
import type { Principal } from './request-context';

export const FINESS_SYSTEM = 'https://finess.esante.gouv.fr';
export const ID_NAT_STRUCT = 'urn:oid:1.2.250.1.71.4.2.2';
const CHECKED = new Set(['DocumentReference', 'Communication']);

/** FINESS of an organisation's identifiers: the FINESS system, or idNat_Struct "1" + FINESS. */
export function finessOfIdentifiers(ids: (Identifier | undefined)[] | undefined): string[] {
  const out: string[] = [];
  for (const i of ids ?? []) {
    if (i?.system === FINESS_SYSTEM && i.value) out.push(i.value);
    if (i?.system === ID_NAT_STRUCT && i.value?.startsWith('1')) out.push(i.value.slice(1));
  }
  return out;
}

/** `Type/id`, relative or absolute (history suffix dropped). */
function literal(ref: string | undefined, type: string): string | undefined {
  const m = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(ref ?? '');
  return m?.[1];
}

/** Resolves references against the versions of this write first (a Bundle's new Organization), then the store. */
class Resolver {
  constructor(
    private readonly tx: Queryable,
    private readonly writes: VersionWrite[],
  ) {}

  async read<T extends Resource>(type: string, id: string): Promise<T | undefined> {
    const pending = this.writes.find((w) => w.resType === type && w.id === id);
    const content = pending ? pending.content : (await readCurrent(this.tx, type, id))?.content;
    return content ? (JSON.parse(content) as T) : undefined;
  }

  /** The FINESS of an Organization reference: literal, contained (`#id`) or logical (identifier). */
  async organization(holder: Resource & { contained?: Resource[] }, ref: Reference | undefined): Promise<string[]> {
    if (!ref) return [];
    if (ref.reference?.startsWith('#')) {
      const c = holder.contained?.find((r) => r.resourceType === 'Organization' && r.id === ref.reference!.slice(1)) as Organization | undefined;
      return finessOfIdentifiers(c?.identifier);
    }
    const id = literal(ref.reference, 'Organization');
    if (id) return finessOfIdentifiers((await this.read<Organization>('Organization', id))?.identifier);
    if (ref.reference || (ref.type && ref.type !== 'Organization')) return [];
    return finessOfIdentifiers([ref.identifier]);
  }

  /** The FINESS of a Communication's sender: an Organization, or a PractitionerRole's organization. */
  async sender(holder: Communication, ref: Reference | undefined): Promise<string[]> {
    const direct = await this.organization(holder, ref);
    if (direct.length) return direct;
    // A contained role's "#org" points into the Communication's contained list, a stored role's into its own.
    const contained = ref?.reference?.startsWith('#');
    const id = literal(ref?.reference, 'PractitionerRole');
    const role = contained
      ? (holder.contained?.find((r) => r.resourceType === 'PractitionerRole' && r.id === ref!.reference!.slice(1)) as PractitionerRole | undefined)
      : id ? await this.read<PractitionerRole>('PractitionerRole', id) : undefined;
    return role ? this.organization(contained ? holder : role, role.organization) : [];
  }

  /** The FINESS a resource is written for, and the element that names them. */
  async finessOf(r: Resource): Promise<{ finess: string[]; expression: string }> {
    if (r.resourceType === 'DocumentReference') {
      const d = r as DocumentReference;
      const refs = [d.custodian, ...(d.author ?? [])];
      const finess = (await Promise.all(refs.map((ref) => this.organization(d, ref)))).flat();
      return { finess, expression: 'DocumentReference.custodian' };
    }
    const c = r as Communication;
    return { finess: await this.sender(c, c.sender), expression: 'Communication.sender' };
  }
}

function refuse(text: string, expression: string): FhirError {
  return new FhirError(403, { code: 'forbidden', id: 'HUB-0741', text, expression });
}

/**
 * Refuses (403) a DocumentReference or Communication created or changed by a system client registered for FINESS
 * when it is not for one of them; an update must also leave a resource that was theirs. Clients registered for no
 * FINESS, professionals and the hub's own work are not concerned.
 */
export async function assertFinessWrites(tx: Queryable, principal: Principal, writes: VersionWrite[]): Promise<void> {
  if (principal.kind !== 'system' || !principal.clientId) return;
  const mine = writes.filter((w) => CHECKED.has(w.resType) && w.method !== 'delete' && w.content);
  if (mine.length === 0) return;
  const allowed = new Set(await clientFiness(tx, principal.clientId));
  if (allowed.size === 0) return;
  const resolver = new Resolver(tx, writes);
  const who = `The client "${principal.clientId}" is registered for FINESS ${[...allowed].join(', ')}`;
  for (const w of mine) {
    const { finess, expression } = await resolver.finessOf(JSON.parse(w.content!) as Resource);
    if (!finess.some((f) => allowed.has(f))) {
      const named = finess.length ? `is for FINESS ${[...new Set(finess)].join(', ')}` : 'names no établissement with a FINESS';
      const element = w.resType === 'DocumentReference' ? 'custodian or an author Organization' : 'sender (an Organization, or a PractitionerRole of one)';
      throw refuse(`${who}; ${w.resType}/${w.id} ${named} (its ${element})`, expression);
    }
    if (w.method !== 'update') continue;
    const before = await readCurrent(tx, w.resType, w.id);
    if (!before?.content) continue;
    const previous = await resolver.finessOf(JSON.parse(before.content) as Resource);
    if (!previous.finess.some((f) => allowed.has(f))) {
      throw refuse(`${who}; the stored ${w.resType}/${w.id} is not one of theirs (${previous.finess.length ? `FINESS ${previous.finess.join(', ')}` : 'no FINESS'}), so it cannot be changed`, previous.expression);
    }
  }
}
