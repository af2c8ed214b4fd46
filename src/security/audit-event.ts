// AuditEvent in the IHE Basic Audit Log Patterns (BALP) style: who, which patient, which resource, action, outcome, where from, why.
import type { AuditEvent, AuditEventAgent, AuditEventEntity } from '@medplum/fhirtypes';
import { IDNAT_PS_SYSTEM } from './identity';
import type { InteractionKind } from './interaction-kind';
import type { Principal, RequestSource } from './request-context';

export interface AuditRecord {
  kind: Pick<InteractionKind, 'code' | 'action' | 'type' | 'id'>;
  principal?: Principal;
  source: RequestSource;
  status: number;
  /** Why it failed, when it did. */
  problem?: string;
  patients: string[];
  /** The resources read, returned or written (Type/id). */
  resources: string[];
  /** A search's query string. */
  query?: string;
  recorded: string;
}

const MAX_ENTITIES = 100;
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const BALP_ENTITY_TYPE = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';

/** 0 success, 4 minor failure (refused request), 8 serious failure (the hub failed). */
function outcomeCode(status: number): AuditEvent['outcome'] {
  if (status < 400) return '0';
  return status < 500 ? '4' : '8';
}

function requestor(principal: Principal | undefined, source: RequestSource): AuditEventAgent {
  const agent: AuditEventAgent = {
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
    requestor: true,
  };
  if (source.address) agent.network = { address: source.address, type: '2' };
  if (!principal) {
    agent.who = { display: 'unauthenticated' };
  } else if (principal.professional) {
    const practitioner = principal.professional.practitioners[0];
    agent.who = { reference: `Practitioner/${practitioner}`, identifier: { system: IDNAT_PS_SYSTEM, value: principal.professional.nationalId } };
    if (principal.clientId) agent.altId = principal.clientId;
  } else {
    agent.who = { identifier: { system: principal.issuer ?? 'urn:fhir-hub:anonymous', value: principal.clientId ?? principal.subject }, display: principal.kind };
  }
  if (principal?.breakGlassReason) agent.purposeOfUse = [breakGlass(principal.breakGlassReason)];
  return agent;
}

function breakGlass(reason: string) {
  return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'BTG', display: 'break the glass' }], text: reason };
}

export function buildAuditEvent(rec: AuditRecord, hubBaseUrl: string): AuditEvent {
  const entity: AuditEventEntity[] = [];
  for (const patient of rec.patients.slice(0, MAX_ENTITIES)) {
    entity.push({ what: { reference: `Patient/${patient}` }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' } });
  }
  for (const ref of rec.resources.slice(0, MAX_ENTITIES)) {
    entity.push({ what: { reference: ref }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' } });
  }
  if (rec.query !== undefined) {
    entity.push({ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '24', display: 'Query' }, query: Buffer.from(rec.query).toString('base64') });
  }
  if (rec.source.requestId) entity.push({ what: { identifier: { value: rec.source.requestId } }, type: { system: BALP_ENTITY_TYPE, code: 'XrequestId' } });
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'Restful Operation' },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: rec.kind.code }],
    action: rec.kind.action,
    recorded: rec.recorded,
    outcome: outcomeCode(rec.status),
    agent: [
      requestor(rec.principal, rec.source),
      { type: { coding: [{ system: DCM, code: '110152', display: 'Destination Role ID' }] }, who: { display: hubBaseUrl }, requestor: false, network: { address: hubBaseUrl, type: '5' } },
    ],
    source: { observer: { display: `fhir-hub ${hubBaseUrl}` }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
  };
  if (rec.problem) event.outcomeDesc = rec.problem.slice(0, 1000);
  if (rec.principal?.breakGlassReason) event.purposeOfEvent = [breakGlass(rec.principal.breakGlassReason)];
  if (entity.length > 0) event.entity = entity;
  return event;
}
