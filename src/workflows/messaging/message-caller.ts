// Whose deliveries an inbox, read receipt or receipt list is about: a professional's own Practitioner, PractitionerRoles
// and Organizations; a system (or unrestricted) caller names the recipient it acts for.
import type { Parameters } from '@medplum/fhirtypes';
import { errors } from '../../fhir/errors';
import type { HubContext } from '../../fhir/hub-context';
import { param, type FhirRequest } from '../../fhir/request';

export interface MessageCaller {
  /** Bound to a care relationship (a professional's token). */
  professional: boolean;
  /** The delivery recipients (`Type/id`) the request is about. */
  recipients: string[];
  /** Who is recorded as reading: the caller's ownerRef, else the recipient it named. */
  readBy?: string;
}

const RECIPIENT = /^(Practitioner|PractitionerRole|Organization|RelatedPerson|Patient|HealthcareService)\/[A-Za-z0-9\-.]{1,64}$/;

/** `recipient` from the query or from a Parameters body (valueReference or valueString). */
function recipientParam(req: FhirRequest): string | undefined {
  const fromQuery = param(req, 'recipient');
  if (fromQuery !== undefined) return fromQuery;
  const body = req.body as Parameters | undefined;
  if (body?.resourceType !== 'Parameters') return undefined;
  const p = body.parameter?.find((x) => x.name === 'recipient');
  return p?.valueReference?.reference ?? p?.valueString;
}

/** The professional's own recipients as `Type/id`. */
export function ownRecipients(ctx: HubContext): string[] | undefined {
  const care = ctx.guard?.caller()?.access?.care;
  if (!care) return undefined;
  return [
    ...care.practitioners.map((id) => `Practitioner/${id}`),
    ...care.roles.map((id) => `PractitionerRole/${id}`),
    ...care.organizations.map((id) => `Organization/${id}`),
  ];
}

/**
 * The recipients of the request. `required`: a system caller must name one (400 otherwise); a professional naming
 * someone who is not them is refused (403).
 */
export function messageCaller(ctx: HubContext, req: FhirRequest, required: boolean): MessageCaller {
  const named = recipientParam(req);
  if (named !== undefined && !RECIPIENT.test(named)) throw errors.badRequest(`recipient must be a reference such as Practitioner/[id], got "${named}"`, 'recipient', 'HUB-0830');
  const caller = ctx.guard?.caller();
  const own = ownRecipients(ctx);
  if (own) {
    if (named !== undefined && !own.includes(named)) throw errors.forbidden(`${named} is not you: a professional reads only their own messages (and those of their roles and organizations)`);
    return { professional: true, recipients: named ? [named] : own, readBy: caller?.ownerRef ?? named };
  }
  if (named === undefined && required) throw errors.badRequest('A system client names the recipient it acts for: recipient=Practitioner/[id] (or PractitionerRole, Organization)', 'recipient', 'HUB-0831');
  return { professional: false, recipients: named ? [named] : [], readBy: caller?.ownerRef ?? named };
}
