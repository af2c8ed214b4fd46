// CDA R2 header of a CI-SIS document (ANS CI-SIS "Volet Structuration minimale des documents de santé" §header):
// the elements the hub needs to file and cross-check a lettre de liaison, read with fast-xml-parser.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { hl7DateTime } from './hl7-time';

export const OID = {
  insNir: '1.2.250.1.213.1.4.8',
  insNia: '1.2.250.1.213.1.4.9',
  insNirTest: '1.2.250.1.213.1.4.10',
  insNirDemo: '1.2.250.1.213.1.4.11',
  idNatPs: '1.2.250.1.71.4.2.1',
  idNatStruct: '1.2.250.1.71.4.2.2',
  loinc: '2.16.840.1.113883.6.1',
  confidentiality: '2.16.840.1.113883.5.25',
} as const;

/** The OIDs under which a CDA carries the INS (national health identity), production and test. */
export const INS_OIDS: readonly string[] = [OID.insNir, OID.insNia, OID.insNirTest, OID.insNirDemo];

export interface CdaId {
  root: string;
  extension?: string;
}

export interface CdaCode {
  code: string;
  codeSystem?: string;
  displayName?: string;
}

export interface CdaHeader {
  documentId?: CdaId;
  setId?: CdaId;
  versionNumber?: string;
  code?: CdaCode;
  title?: string;
  effectiveTime?: string;
  confidentialityCode?: CdaCode;
  patient: {
    ids: CdaId[];
    /** The INS (root one of INS_OIDS), when the document carries one. */
    ins?: CdaId;
    birthName?: string;
    usedName?: string;
    given: string[];
    gender?: string;
    birthDate?: string;
  };
  author: { ids: CdaId[]; idNatPs?: string; family?: string; given?: string; organizationIds: CdaId[] };
  custodian: { ids: CdaId[]; finess?: string; name?: string };
  encounter: { start?: string; end?: string; facilityCode?: CdaCode };
  practiceSetting?: CdaCode;
}

/** Why bytes could not be read as a CDA document: not XML at all, or XML that is no ClinicalDocument. */
export class CdaError extends Error {
  constructor(
    readonly kind: 'malformed' | 'not-cda',
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

type Node = Record<string, unknown>;

// Elements that CDA allows to repeat: always arrays, so the reading code has one shape to handle.
const REPEATING = new Set(['id', 'given', 'family', 'author', 'recordTarget', 'name', 'documentationOf', 'performer']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // No entity expansion at all: a CDA never needs a DTD, and none is accepted (see parseCdaHeader).
  processEntities: false,
  isArray: (name) => REPEATING.has(name),
});

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const node = (v: unknown): Node | undefined => (typeof v === 'object' && v !== null ? (Array.isArray(v) ? (v[0] as Node) : (v as Node)) : undefined);
const attr = (n: Node | undefined, name: string): string | undefined => {
  const v = n?.[`@${name}`];
  return typeof v === 'string' && v !== '' ? v : undefined;
};
const text = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v || undefined;
  const n = node(v);
  const t = n?.['#text'];
  return typeof t === 'string' && t !== '' ? t : undefined;
};
const path = (n: Node | undefined, ...names: string[]): Node | undefined => names.reduce<Node | undefined>((cur, name) => node(cur?.[name]), n);

function ids(n: Node | undefined): CdaId[] {
  return asArray(n?.id as Node[] | undefined)
    .map((i) => ({ root: attr(i, 'root') ?? '', extension: attr(i, 'extension') }))
    .filter((i) => i.root !== '');
}

function code(n: Node | undefined): CdaCode | undefined {
  const c = attr(n, 'code');
  return c ? { code: c, codeSystem: attr(n, 'codeSystem'), displayName: attr(n, 'displayName') } : undefined;
}

function id(n: Node | undefined): CdaId | undefined {
  const root = attr(n, 'root');
  return root ? { root, extension: attr(n, 'extension') } : undefined;
}

/** Parses the header of a CDA R2 document; throws CdaError for bytes that are not a well-formed ClinicalDocument. */
export function parseCdaHeader(bytes: Buffer | string): CdaHeader {
  const xml = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  // A DTD is the door to entity expansion attacks (billion laughs, XXE); CDA R2 documents have none.
  if (/<!DOCTYPE/i.test(xml)) throw new CdaError('malformed', 'The CDA document declares a DOCTYPE; CDA R2 documents carry none and the hub does not accept DTDs');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new CdaError('malformed', `The CDA document is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`, valid.err.line);
  const doc = node(parser.parse(xml).ClinicalDocument);
  if (!doc) throw new CdaError('not-cda', 'The XML document is not a CDA R2 document: its root element is not ClinicalDocument');
  return readHeader(doc);
}

function readHeader(doc: Node): CdaHeader {
  const role = path(doc, 'recordTarget', 'patientRole');
  const patient = path(role, 'patient');
  const name = path(patient, 'name');
  const families = asArray(name?.family as unknown[] | undefined).map((f) => ({ value: text(f), qualifier: attr(node(f), 'qualifier') }));
  const patientIds = ids(role);
  const assigned = path(doc, 'author', 'assignedAuthor');
  const authorIds = ids(assigned);
  const person = path(assigned, 'assignedPerson', 'name');
  const custodianOrg = path(doc, 'custodian', 'assignedCustodian', 'representedCustodianOrganization');
  const custodianIds = ids(custodianOrg);
  const idNatStruct = custodianIds.find((i) => i.root === OID.idNatStruct)?.extension;
  const encounter = path(doc, 'componentOf', 'encompassingEncounter');
  const time = path(encounter, 'effectiveTime');
  const performerOrg = path(doc, 'documentationOf', 'serviceEvent', 'performer', 'assignedEntity', 'representedOrganization');
  return {
    documentId: id(path(doc, 'id')),
    setId: id(path(doc, 'setId')),
    versionNumber: attr(path(doc, 'versionNumber'), 'value'),
    code: code(path(doc, 'code')),
    title: text(doc.title),
    effectiveTime: hl7DateTime(attr(path(doc, 'effectiveTime'), 'value')),
    confidentialityCode: code(path(doc, 'confidentialityCode')),
    patient: {
      ids: patientIds,
      ins: patientIds.find((i) => INS_OIDS.includes(i.root) && i.extension),
      // CI-SIS: the birth name is qualified BR, the used name SP; an unqualified family is the birth name.
      birthName: families.find((f) => f.qualifier === 'BR')?.value ?? families.find((f) => !f.qualifier)?.value,
      usedName: families.find((f) => f.qualifier === 'SP')?.value,
      given: asArray(name?.given as unknown[] | undefined).map(text).filter((g): g is string => !!g),
      gender: attr(path(patient, 'administrativeGenderCode'), 'code'),
      birthDate: hl7DateTime(attr(path(patient, 'birthTime'), 'value')),
    },
    author: {
      ids: authorIds,
      idNatPs: authorIds.find((i) => i.root === OID.idNatPs)?.extension,
      family: text(node(person?.family)),
      given: text(node(person?.given)),
      organizationIds: ids(path(assigned, 'representedOrganization')),
    },
    custodian: {
      ids: custodianIds,
      // idNat_Struct of an établissement is 1 + FINESS (ANS CI-SIS identifiers).
      finess: idNatStruct?.startsWith('1') ? idNatStruct.slice(1) : undefined,
      name: text(custodianOrg?.name),
    },
    encounter: {
      start: hl7DateTime(attr(path(time, 'low'), 'value')),
      end: hl7DateTime(attr(path(time, 'high'), 'value')),
      facilityCode: code(path(encounter, 'location', 'healthCareFacility', 'code')),
    },
    practiceSetting: code(path(performerOrg, 'standardIndustryClassCode')),
  };
}
