// AuditEvent in the IHE Basic Audit Log Patterns (BALP) style: who, which patient, which resource, action, outcome, where from, why.
import type { AuditEvent, AuditEventAgent, AuditEventEntity } from '@medplum/fhirtypes';
import type { AuditDetail, AuditEntry } from '../store/audit-log';
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
  /** entity.detail of some of the resources (a CareTeam's membership change). */
  details?: AuditDetail[];
}

const MAX_ENTITIES = 100;
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const BALP_ENTITY_TYPE = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';

/** 0 success, 4 minor failure (refused request), 8 serious failure (the hub failed). */
function outcomeCode(status: number): '0' | '4' | '8' {
  if (status < 400) return '0';
  return status < 500 ? '4' : '8';
}

/** The flat form stored in audit_log (store/audit-log.ts): what the AuditEvent is rendered from. */
export function toEntry(rec: AuditRecord): AuditEntry {
  const p = rec.principal;
  const entry: AuditEntry = {
    recorded: rec.recorded,
    action: rec.kind.action,
    subtype: rec.kind.code,
    outcome: outcomeCode(rec.status),
    outcomeDesc: rec.problem?.slice(0, 1000),
    agentKind: p ? p.kind : 'unauthenticated',
    clientId: p?.clientId,
    organizations: p?.professional?.organizations ?? [],
    sourceAddress: rec.source.address,
    patients: [...new Set(rec.patients)].slice(0, MAX_ENTITIES),
    entities: [...new Set(rec.resources)].slice(0, MAX_ENTITIES),
    query: rec.query,
    breakGlass: p?.breakGlassReason,
    requestId: rec.source.requestId,
    details: rec.details?.length ? rec.details : undefined,
  };
  if (p?.professional) {
    entry.agentRef = `Practitioner/${p.professional.practitioners[0]}`;
    entry.agentSystem = IDNAT_PS_SYSTEM;
    entry.agentId = p.professional.nationalId;
  } else if (p) {
    entry.agentSystem = p.issuer ?? 'urn:fhir-hub:anonymous';
    entry.agentId = p.clientId ?? p.subject;
  }
  return entry;
}

function requestor(e: AuditEntry): AuditEventAgent {
  const agent: AuditEventAgent = {
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
    requestor: true,
  };
  if (e.sourceAddress) agent.network = { address: e.sourceAddress, type: '2' };
  if (e.agentKind === 'unauthenticated') {
    agent.who = { display: 'unauthenticated' };
  } else if (e.agentRef) {
    agent.who = { reference: e.agentRef, identifier: { system: e.agentSystem, value: e.agentId } };
    if (e.clientId) agent.altId = e.clientId;
  } else {
    agent.who = { identifier: { system: e.agentSystem, value: e.agentId }, display: e.agentKind };
  }
  if (e.breakGlass) agent.purposeOfUse = [breakGlass(e.breakGlass)];
  return agent;
}

function breakGlass(reason: string) {
  return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'BTG', display: 'break the glass' }], text: reason };
}

/** The AuditEvent of a stored entry; `id` is its row's. */
export function renderAuditEvent(e: AuditEntry, id: string, hubBaseUrl: string): AuditEvent {
  const entity: AuditEventEntity[] = [];
  for (const patient of e.patients) {
    entity.push({ what: { reference: `Patient/${patient}` }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' } });
  }
  for (const ref of e.entities) {
    const one: AuditEventEntity = { what: { reference: ref }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' } };
    const details = (e.details ?? []).filter((d) => d.entity === ref).map((d) => ({ type: d.type, valueString: d.value }));
    if (details.length) one.detail = details;
    entity.push(one);
  }
  if (e.query !== undefined) {
    entity.push({ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '24', display: 'Query' }, query: Buffer.from(e.query).toString('base64') });
  }
  if (e.requestId) entity.push({ what: { identifier: { value: e.requestId } }, type: { system: BALP_ENTITY_TYPE, code: 'XrequestId' } });
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id,
    meta: { versionId: '1', lastUpdated: e.recorded },
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'Restful Operation' },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: e.subtype }],
    action: e.action as AuditEvent['action'],
    recorded: e.recorded,
    outcome: e.outcome as AuditEvent['outcome'],
    agent: [
      requestor(e),
      { type: { coding: [{ system: DCM, code: '110152', display: 'Destination Role ID' }] }, who: { display: hubBaseUrl }, requestor: false, network: { address: hubBaseUrl, type: '5' } },
    ],
    source: { observer: { display: `fhir-hub ${hubBaseUrl}` }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
  };
  if (e.outcomeDesc) event.outcomeDesc = e.outcomeDesc;
  if (e.breakGlass) event.purposeOfEvent = [breakGlass(e.breakGlass)];
  if (entity.length > 0) event.entity = entity;
  return event;
}
