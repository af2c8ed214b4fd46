// Who a write or an operation is done for, in the terms other layers use (subscription owners, letter senders).
import type { Caller } from '../fhir/hub-context';
import type { Principal } from './request-context';

/**
 * A principal as a Caller: professionals are named by their first Practitioner, systems by their client id.
 * The access rule is kept without break the glass: a waiver is for one request, never for what outlives it.
 */
export function callerOf(principal: Principal): Caller {
  const access = principal.access?.care ? { ...principal.access, care: { ...principal.access.care, breakGlass: false } } : principal.access;
  if (principal.kind === 'practitioner' && principal.professional) {
    const id = principal.professional.practitioners[0];
    return { unrestricted: principal.unrestricted, ownerRef: `Practitioner/${id}`, display: principal.professional.nationalId, access };
  }
  if (principal.kind === 'system') return { unrestricted: principal.unrestricted, ownerRef: `client:${principal.clientId ?? principal.subject}`, display: principal.clientId, access };
  return { unrestricted: principal.unrestricted, access };
}
