// Codes and systems of the mail bridge (docs/mail-bridge.md).

export const ENDPOINT_CONNECTION_TYPE = 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type';
export const SECURE_EMAIL = 'secure-email';

/** Identifiers of a professional who logs in to the hub (RPPS, idNat_PS): such a person is never mailed by telecom alone. */
export const LOGIN_IDENTIFIER_SYSTEMS = ['https://rpps.esante.gouv.fr', 'urn:oid:1.2.250.1.71.4.2.1'];

/** Communication.identifier of a Communication or review Task made from a received mail: its Message-ID (bare). */
export const MESSAGE_ID_SYSTEM = 'https://fhir-hub.fr/ig/NamingSystem/mail-message-id';

/** Communication.medium: the message came by email (v3 ParticipationMode, R4 Communication.medium binding). */
export const MEDIUM_EMAIL = { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: 'EMAILWRIT', display: 'email' };

export const TASK_TYPE_SYSTEM = 'https://fhir-hub.fr/ig/CodeSystem/fhir-hub-task-type';
export const REVIEW_TASK_CODE = { system: TASK_TYPE_SYSTEM, code: 'revue-courriel-entrant', display: 'Revue d’un courriel entrant non rattaché' };

/** A Message-ID without its angle brackets or surrounding spaces. */
export const bareId = (id: string): string => id.trim().replace(/^<|>$/g, '').trim();

/** The Message-ID of the mail sent for a Communication of this hub. */
export const messageIdOf = (communicationId: string, domain: string): string => `${communicationId}@${domain}`;

/** Lower-cased address without a mailto: prefix. */
export const normaliseAddress = (a: string): string => a.trim().replace(/^mailto:/i, '').toLowerCase();
