// A lettre de liaison as a FHIR document (FHIR R4 §3.3 Documents: Bundle type document, Composition first), sent by
// POST [base]/Bundle: stored as it came, filed with a DocumentReference that points at it, routed like any letter.
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Composition, DocumentReference, Encounter, Organization, Patient, Practitioner, PractitionerRole, Reference as FhirReference, Resource } from '@medplum/fhirtypes';

/** References here point at whatever the letter names; FHIR types narrow them per element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reference = FhirReference<any>;
import { errors, issue } from '../../fhir/errors';
import { create } from '../../fhir/interactions/create';
import type { Queryable } from '../../store/db';
import type { HubContext } from '../../fhir/hub-context';
import type { FhirRequest, FhirResponse } from '../../fhir/request';
import { fileLetters } from './file-letters';
import { searchAsHub } from './hub-lookup';
import type { Letter } from './letter';
import { organizationOf, traitsFrom } from './parties';
import { CLASS_COMPTE_RENDU, SETTING_ETABLISSEMENT, SYSTEM } from './vocabulary';

export function isDocumentBundle(body: unknown): body is Bundle {
  return (body as Bundle)?.resourceType === 'Bundle' && (body as Bundle).type === 'document';
}

export async function submitDocumentBundle(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  // Inside a transaction (including the one filing a letter) a document is only stored: filing opens its own.
  if (tx) return create(ctx, req, tx);
  const doc = req.body as Bundle;
  const composition = doc.entry?.[0]?.resource as Composition | undefined;
  if (composition?.resourceType !== 'Composition') throw errors.unprocessableText('A FHIR document starts with its Composition (Bundle.entry[0])', 'Bundle.entry[0].resource');
  const within = (ref: Reference | undefined) => doc.entry?.find((e) => ref?.reference && (e.fullUrl === ref.reference || `${e.resource?.resourceType}/${e.resource?.id}` === ref.reference))?.resource;
  const patient = within(composition.subject) as Patient | undefined;
  const encounter = within(composition.encounter) as Encounter | undefined;
  const custodianOrg = within(composition.custodian) as Organization | undefined;
  const custodian = custodianOrg ? await organizationOf(ctx, { contained: [custodianOrg] }, { reference: `#${custodianOrg.id}` }) : {};
  const docUrl = `urn:uuid:${randomUUID()}`;
  const docRef: DocumentReference = {
    resourceType: 'DocumentReference',
    masterIdentifier: doc.identifier,
    status: 'current',
    type: composition.type,
    category: composition.category ?? [{ coding: [CLASS_COMPTE_RENDU] }],
    date: composition.date,
    author: await Promise.all((composition.author ?? []).map((a) => authorRef(ctx, within(a), a))),
    custodian: custodian.hubRef,
    description: composition.title,
    securityLabel: composition.confidentiality ? [{ coding: [{ system: SYSTEM.confidentiality, code: composition.confidentiality }] }] : undefined,
    content: [{ attachment: { contentType: 'application/fhir+json', url: docUrl, title: composition.title, creation: composition.date } }],
    context: { period: encounter?.period, practiceSetting: { coding: [SETTING_ETABLISSEMENT] }, related: [{ reference: docUrl }] },
  };
  const drUrl = `urn:uuid:${randomUUID()}`;
  const entries: BundleEntry[] = [
    { fullUrl: docUrl, resource: doc, request: { method: 'POST', url: 'Bundle' } },
    { fullUrl: drUrl, resource: docRef, request: { method: 'POST', url: 'DocumentReference' } },
  ];
  const letter: Letter = {
    form: 'document',
    docRef,
    docRefUrl: drUrl,
    where: 'Bundle.entry[0].resource',
    patient: traitsFrom([patient], []),
    finess: custodian.finess ? [custodian.finess] : [],
    sender: custodian.hubRef,
    dischargeDate: encounter?.period?.end,
    notes: [],
  };
  const filed = await fileLetters(ctx, { resourceType: 'Bundle', type: 'transaction', entry: entries }, [letter], [], 'return=minimal');
  const stored = filed.response.entry![0].response!;
  const report = filed.reports[0];
  report.issue.unshift(issue({ severity: 'information', code: 'informational', text: `Document stored as ${stored.location}` }));
  return { status: 201, resource: report, headers: { Location: stored.location!, ETag: stored.etag! } };
}

/** An author of the document as a reference on this hub (by RPPS / FINESS), or by identifier when the hub does not hold it. */
async function authorRef(ctx: HubContext, author: Resource | undefined, ref: Reference): Promise<Reference> {
  if (author?.resourceType === 'Organization') return (await organizationOf(ctx, { contained: [author] }, { reference: `#${author.id}` })).hubRef ?? { display: ref.display };
  const person = author?.resourceType === 'PractitionerRole' ? undefined : (author as Practitioner | undefined);
  const roleIds = author?.resourceType === 'PractitionerRole' ? (author as PractitionerRole).identifier : undefined;
  const rpps = [...(person?.identifier ?? []), ...(roleIds ?? [])].find((i) => i.system === SYSTEM.rpps || i.system === SYSTEM.idNatPs);
  if (!rpps?.value) return { display: ref.display ?? 'Auteur du document' };
  const found = await searchAsHub<Practitioner>(ctx, 'Practitioner', [['identifier', `${rpps.system}|${rpps.value}`]]);
  const name = person?.name?.[0];
  const display = ref.display ?? (name ? [name.prefix?.join(' '), name.given?.join(' '), name.family].filter(Boolean).join(' ') : undefined);
  return found.length === 1 ? { reference: `Practitioner/${found[0].id}`, display } : { identifier: { system: rpps.system, value: rpps.value }, display };
}

