// Identity vigilance for an incoming letter (ANS Référentiel national d'identitovigilance, INS first, then IPP, then
// the strict traits): exactly one candidate or none; an ambiguous or unknown identity is never guessed.
import type { Identifier, Patient } from '@medplum/fhirtypes';
import type { HubContext } from '../../fhir/hub-context';
import { readAsHub, searchAsHub } from './hub-lookup';
import type { PatientTraits } from './letter';
import { INS_SYSTEMS } from './vocabulary';

export type Identification =
  | { status: 'found'; patient: Patient; by: 'reference' | 'INS' | 'IPP' | 'traits' }
  | { status: 'unresolved' | 'ambiguous'; reason: string };

const token = (i: Identifier) => `${i.system}|${i.value}`;
const fold = (s: string | undefined) => (s ?? '').normalize('NFD').replace(/\p{M}/gu, '').replace(/[\s'’-]+/g, ' ').trim().toUpperCase();
const insOf = (p: Patient) => p.identifier?.find((i) => INS_SYSTEMS.includes(i.system ?? ''));

export async function identifyPatient(ctx: HubContext, traits: PatientTraits): Promise<Identification> {
  if (traits.hubId) {
    const got = await readAsHub<Patient>(ctx, 'Patient', traits.hubId);
    if (got) return { status: 'found', patient: got.resource, by: 'reference' };
    return { status: 'unresolved', reason: `the subject Patient/${traits.hubId} does not exist on this hub` };
  }
  if (traits.ins?.value) {
    const found = await searchAsHub<Patient>(ctx, 'Patient', [['identifier', token(traits.ins)]]);
    if (found.length === 1) return { status: 'found', patient: found[0], by: 'INS' };
    if (found.length > 1) return { status: 'ambiguous', reason: `${found.length} patients carry the INS ${traits.ins.value}` };
  }
  for (const ipp of traits.local) {
    const found = (await searchAsHub<Patient>(ctx, 'Patient', [['identifier', token(ipp)]])).filter((p) => compatibleIns(p, traits));
    if (found.length === 1) return { status: 'found', patient: found[0], by: 'IPP' };
    if (found.length > 1) return { status: 'ambiguous', reason: `${found.length} patients carry the identifier ${token(ipp)}` };
  }
  return byTraits(ctx, traits);
}

/** A patient who already has another INS is someone else, whatever their traits. */
function compatibleIns(p: Patient, traits: PatientTraits): boolean {
  const theirs = insOf(p);
  return !traits.ins?.value || !theirs || theirs.value === traits.ins.value;
}

async function byTraits(ctx: HubContext, t: PatientTraits): Promise<Identification> {
  const what = t.ins?.value ? `no patient carries the INS ${t.ins.value}` : 'the letter carries no INS';
  if (!t.birthName || !t.firstGiven || !t.birthDate || !t.gender) {
    return { status: 'unresolved', reason: `${what}, and its strict identity traits are incomplete (birth name, first given name, birth date, sex)` };
  }
  const candidates = await searchAsHub<Patient>(ctx, 'Patient', [['birthdate', t.birthDate], ['gender', t.gender], ['family', t.birthName]]);
  // Strict traits: the birth (official) name and the first given name, compared without case or accents.
  const matches = candidates.filter((p) => {
    const official = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
    return fold(official?.family) === fold(t.birthName) && fold(official?.given?.[0]) === fold(t.firstGiven) && compatibleIns(p, t);
  });
  if (matches.length === 1) return { status: 'found', patient: matches[0], by: 'traits' };
  if (matches.length > 1) return { status: 'ambiguous', reason: `${what}, and ${matches.length} patients share its strict identity traits` };
  return { status: 'unresolved', reason: `${what}, and no patient has its strict identity traits` };
}
