// Who may send documents for an établissement (issue 7 §4): a system client for the FINESS it is registered for
// (table security_client_finess, migration 006), a professional for the organisations of their PractitionerRoles.
// The stored DocumentReference and Communications then pass the guard's rule for every write (finess-writes.ts),
// which reads FINESS the same way: a letter accepted here passes there, unless it replaces another établissement's document.
import type { Organization } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/errors';
import type { HubContext } from '../fhir/hub-context';
import { readCurrent } from '../store/resource-store';
import { clientFiness } from '../store/client-finess';
import { finessOfIdentifiers } from './finess-writes';
import { currentRequest, type Principal } from './request-context';

function refuse(text: string): FhirError {
  return new FhirError(403, { code: 'forbidden', id: 'HUB-0740', text, expression: 'DocumentReference.custodian' });
}

/** The FINESS a caller may send for; undefined: anything (AUTH=off, or the hub's own work such as a benchmark load). */
export async function entitledFiness(ctx: HubContext, principal: Principal | undefined): Promise<Set<string> | undefined> {
  if (!principal || principal.unrestricted) return undefined;
  if (principal.kind === 'system') return new Set(principal.clientId ? await clientFiness(ctx.db, principal.clientId) : []);
  const out = new Set<string>();
  for (const id of principal.professional?.organizations ?? []) {
    const org = await readCurrent(ctx.db, 'Organization', id);
    if (!org?.content) continue;
    const parsed = JSON.parse(org.content) as Organization;
    for (const f of finessOfIdentifiers(parsed.identifier)) out.add(f);
  }
  return out;
}

/** Refuses with 403 a letter whose établissement (custodian, author's organisation) the caller may not send for. */
export async function assertEntitled(ctx: HubContext, finess: string[]): Promise<void> {
  const principal = currentRequest()?.principal;
  const allowed = await entitledFiness(ctx, principal);
  if (!allowed) return;
  const who = principal!.kind === 'system' ? `The client "${principal!.clientId ?? principal!.subject}"` : `The professional ${principal!.professional?.nationalId}`;
  if (finess.length === 0) throw refuse(`${who} must name the sending établissement (custodian with a FINESS) so that its entitlement can be checked`);
  const refused = finess.filter((f) => !allowed.has(f));
  if (refused.length > 0) {
    const mine = allowed.size ? `it may send for FINESS ${[...allowed].join(', ')}` : 'it is registered for no établissement';
    throw refuse(`${who} may not send letters for the établissement FINESS ${refused.join(', ')}: ${mine}`);
  }
}
