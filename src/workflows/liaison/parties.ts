// The parties a letter names (patient, custodian, author), read from references that may be literal (this hub),
// contained (MHD Comprehensive: sourcePatientInfo, authors) or logical (identifier only).
import type { DocumentReference, Identifier, Organization, Patient, Reference as FhirReference, Resource } from '@medplum/fhirtypes';

/** References here point at whatever the letter names; FHIR types narrow them per element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reference = FhirReference<any>;
import type { HubContext } from '../../fhir/hub-context';
import { literal, readAsHub, searchAsHub } from './hub-lookup';
import type { PatientTraits } from './letter';
import { INS_SYSTEMS, SYSTEM } from './vocabulary';

type WithContained = { contained?: Resource[] };

export function containedOf<T extends Resource>(holder: WithContained, ref: Reference | undefined, type: string): T | undefined {
  if (!ref?.reference?.startsWith('#')) return undefined;
  const id = ref.reference.slice(1);
  return holder.contained?.find((r) => r.resourceType === type && r.id === id) as T | undefined;
}

/** Identity traits from the Patient resources and identifiers a letter carries (the first source naming a trait wins). */
export function traitsFrom(patients: (Patient | undefined)[], identifiers: (Identifier | undefined)[]): PatientTraits {
  const out: PatientTraits = { local: [] };
  const ids = [...identifiers, ...patients.flatMap((p) => p?.identifier ?? [])].filter((i): i is Identifier => !!i?.value && !!i.system);
  for (const i of ids) {
    if (INS_SYSTEMS.includes(i.system!)) out.ins ??= { system: i.system, value: i.value };
    else if (!out.local.some((l) => l.system === i.system && l.value === i.value)) out.local.push({ system: i.system, value: i.value });
  }
  for (const p of patients) {
    if (!p) continue;
    const official = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
    out.birthName ??= official?.family;
    out.firstGiven ??= official?.given?.[0];
    out.birthDate ??= p.birthDate;
    out.gender ??= p.gender;
  }
  return out;
}

/** The patient a DocumentReference designates, as traits (and the hub id when the subject is a literal reference). */
export function patientOfDocRef(d: DocumentReference): PatientTraits {
  const subject = d.subject;
  const traits = traitsFrom([containedOf<Patient>(d, subject, 'Patient'), containedOf<Patient>(d, d.context?.sourcePatientInfo, 'Patient')], [subject?.identifier]);
  traits.hubId = literal(subject?.reference, 'Patient')?.id;
  return traits;
}

/** FINESS of an Organization: FINESS system, or idNat_Struct 1 + FINESS. */
export function finessOf(identifiers: Identifier[] | undefined): string | undefined {
  for (const i of identifiers ?? []) {
    if (i.system === SYSTEM.finess && i.value) return i.value;
    if (i.system === SYSTEM.idNatStruct && i.value?.startsWith('1')) return i.value.slice(1);
  }
  return undefined;
}

/** The organisation a reference designates: contained, on this hub, or by identifier; with the hub's own Organization when it has one. */
export async function organizationOf(ctx: HubContext, holder: WithContained, ref: Reference | undefined): Promise<{ finess?: string; hubRef?: Reference }> {
  if (!ref) return {};
  const lit = literal(ref.reference, 'Organization');
  if (lit) {
    const got = await readAsHub<Organization>(ctx, 'Organization', lit.id);
    return { finess: finessOf(got?.resource.identifier), hubRef: got ? { reference: ref.reference, display: got.resource.name } : undefined };
  }
  const contained = containedOf<Organization>(holder, ref, 'Organization');
  const finess = finessOf(contained?.identifier ?? (ref.identifier ? [ref.identifier] : undefined));
  if (!finess) return {};
  const found = await searchAsHub<Organization>(ctx, 'Organization', [['identifier', `${SYSTEM.finess}|${finess}`]]);
  return { finess, hubRef: found.length === 1 ? { reference: `Organization/${found[0].id}`, display: found[0].name } : { identifier: { system: SYSTEM.finess, value: finess }, display: contained?.name ?? ref.display } };
}

/** Drops contained resources nothing points at any more (FHIR dom-3), after a reference was replaced. */
export function dropUnreferencedContained(holder: WithContained): void {
  if (!holder.contained) return;
  const { contained, ...rest } = holder;
  const text = JSON.stringify(rest);
  holder.contained = contained.filter((c) => text.includes(`"#${c.id}"`));
  if (holder.contained.length === 0) delete holder.contained;
}
