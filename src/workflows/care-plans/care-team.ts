// The patient's active CareTeam (FHIR R4 CareTeam §11.2) and the profession of each health professional in it
// (TRE_G15 ProfessionSante on CareTeam.participant.role, PractitionerRole.code or Practitioner.qualification).
import type { CareTeam, CodeableConcept, Practitioner, PractitionerRole, Reference, Resource } from '@medplum/fhirtypes';
import type { HubContext } from '../../fhir/hub-context';
import { newRequest } from '../../fhir/request';
import { dispatch } from '../../fhir/router';

export const G15 = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';

export interface TeamMember {
  member: Reference;
  /** TRE_G15 profession codes, e.g. 10 médecin, 60 infirmier, 21 pharmacien, 70 masseur-kinésithérapeute. */
  professions: string[];
}

export interface PatientTeam {
  careTeam: CareTeam;
  members: TeamMember[];
}

/** A search run as the caller, through dispatch (so access control and audit apply); the matches only. */
export async function searchAsCaller<T extends Resource>(ctx: HubContext, type: string, params: [string, string][]): Promise<T[]> {
  const out = await dispatch(ctx, newRequest('GET', [type], { params }));
  const bundle = out.resource ?? (out.json ? JSON.parse(out.json) : undefined);
  return ((bundle?.entry ?? []) as { resource: T; search?: { mode?: string } }[]).filter((e) => e.search?.mode !== 'include').map((e) => e.resource);
}

export const g15Codes = (concepts: (CodeableConcept | undefined)[] | undefined): string[] =>
  (concepts ?? []).flatMap((c) => c?.coding ?? []).filter((c) => c.system === G15 && c.code).map((c) => c.code!);

const professional = (ref: string | undefined) => /^(Practitioner|PractitionerRole)\/[^/]+$/.test(ref ?? '');

/** Professions of the members whose participation gives none, read from their PractitionerRole or Practitioner. */
async function professionsOf(ctx: HubContext, refs: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const ids = (type: string) => refs.filter((r) => r.startsWith(`${type}/`)).map((r) => r.slice(type.length + 1));
  const roleIds = ids('PractitionerRole');
  if (roleIds.length > 0) {
    for (const r of await searchAsCaller<PractitionerRole>(ctx, 'PractitionerRole', [['_id', roleIds.join(',')]])) out.set(`PractitionerRole/${r.id}`, g15Codes(r.code));
  }
  const practitionerIds = ids('Practitioner');
  if (practitionerIds.length > 0) {
    for (const p of await searchAsCaller<Practitioner>(ctx, 'Practitioner', [['_id', practitionerIds.join(',')]])) out.set(`Practitioner/${p.id}`, g15Codes(p.qualification?.map((q) => q.code)));
  }
  return out;
}

/** The patient's active care team (the most recently changed one if several), or undefined. */
export async function patientTeam(ctx: HubContext, patient: string, now: Date): Promise<PatientTeam | undefined> {
  const teams = await searchAsCaller<CareTeam>(ctx, 'CareTeam', [['subject', patient], ['status', 'active'], ['_sort', '-_lastUpdated'], ['_count', '1']]);
  const careTeam = teams[0];
  if (!careTeam) return undefined;
  const current = (careTeam.participant ?? []).filter((p) => professional(p.member?.reference) && !(p.period?.end && new Date(p.period.end) < now));
  const members = current.map((p) => ({ member: p.member!, professions: g15Codes(p.role) }));
  const missing = members.filter((m) => m.professions.length === 0).map((m) => m.member.reference!);
  if (missing.length > 0) {
    const found = await professionsOf(ctx, missing);
    for (const m of members) if (m.professions.length === 0) m.professions = found.get(m.member.reference!) ?? [];
  }
  return { careTeam, members };
}

/** The first member of the profession; PractitionerRole members before Practitioner ones (they carry the organisation). */
export function memberOf(team: PatientTeam, profession: string): Reference | undefined {
  const matching = team.members.filter((m) => m.professions.includes(profession));
  const best = matching.find((m) => m.member.reference!.startsWith('PractitionerRole/')) ?? matching[0];
  if (!best) return undefined;
  return best.member.display ? { reference: best.member.reference, display: best.member.display } : { reference: best.member.reference };
}
