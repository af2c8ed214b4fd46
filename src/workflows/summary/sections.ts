// The sections of the hub's patient summary (IPS Composition sections, French VSM): LOINC code, title, and the
// search that fills each one; profiles/StructureDefinition-fhir-hub-patient-summary.json names the same codes.
import type { Queryable } from '../../store/db';
import type { HubContext } from '../../fhir/hub-context';
import type { SearchRow } from '../../fhir/search/execute';
import { MAX_ROWS, searchAll } from './search-rows';

export const LOINC = 'http://loinc.org';
/** Sections with no LOINC code of their own (letters received) are coded in the hub's code system. */
export const HUB_SECTIONS = 'https://fhir-hub.fr/CodeSystem/summary-section';

export interface SectionSpec {
  key: string;
  title: string;
  code: { system: string; code: string; display: string };
  /** The columns of the narrative table. */
  columns: string[];
  find(ctx: HubContext, q: Queryable, patientId: string): Promise<SearchRow[]>;
}

const all = (type: string, extra: [string, string][] = []) => (ctx: HubContext, q: Queryable, patient: string) =>
  searchAll(ctx, q, type, [['patient', patient], ...extra]);

/** When an Observation was made, for ordering: effective[x], else issued. */
function observedAt(o: { effectiveDateTime?: string; effectivePeriod?: { start?: string; end?: string }; effectiveInstant?: string; issued?: string }): number {
  const t = Date.parse(o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.issued ?? '');
  return Number.isNaN(t) ? -Infinity : t;
}

const VITAL_SIGNS = 'vital-signs';
type Obs = Parameters<typeof observedAt>[0] & { code?: { coding?: { system?: string; code?: string }[] }; category?: { coding?: { code?: string }[] }[] };

/**
 * The latest Observation per code, among the patient's vital signs. The category is matched here, on the
 * patient's observations, rather than in SQL: without planner statistics (a fresh import; PGlite has no
 * autovacuum) `patient` AND `category` became a nested loop over every vital sign of every patient (0.4 s for
 * 13 000 resources), while the patient's observations alone are one index lookup whatever the statistics.
 */
async function lastVitalSigns(ctx: HubContext, q: Queryable, patient: string): Promise<SearchRow[]> {
  let rows = await searchAll(ctx, q, 'Observation', [['patient', patient]]);
  // A record too large to read whole: let the index pick the vital signs, newest first.
  if (rows.length >= MAX_ROWS) rows = await searchAll(ctx, q, 'Observation', [['patient', patient], ['category', VITAL_SIGNS], ['_sort', '-date']]);
  const latest = new Map<string, { row: SearchRow; at: number }>();
  for (const row of rows) {
    const o = JSON.parse(row.content) as Obs;
    if (!o.category?.some((c) => c.coding?.some((x) => x.code === VITAL_SIGNS))) continue;
    const coding = o.code?.coding?.[0];
    const key = coding ? `${coding.system}|${coding.code}` : row.id;
    const at = observedAt(o);
    const seen = latest.get(key);
    if (!seen || at > seen.at) latest.set(key, { row, at });
  }
  return [...latest.values()].sort((a, b) => b.at - a.at).map((x) => x.row);
}

/**
 * The patient's documents dated within the last 12 months, newest first. Date and order are checked here, on
 * the patient's DocumentReferences (one index lookup): `patient` AND `date` (and `_sort=-date`) took 25–50 ms
 * without planner statistics for a handful of rows. A document without a date is not a letter of the year.
 */
async function lettersOfTheYear(ctx: HubContext, q: Queryable, patient: string): Promise<SearchRow[]> {
  const since = Date.parse(twelveMonthsBefore(ctx.now()));
  let rows = await searchAll(ctx, q, 'DocumentReference', [['patient', patient]]);
  if (rows.length >= MAX_ROWS) rows = await searchAll(ctx, q, 'DocumentReference', [['patient', patient], ['date', `ge${twelveMonthsBefore(ctx.now())}`]]);
  const dated = rows.map((r) => ({ r, t: Date.parse((JSON.parse(r.content) as { date?: string }).date ?? '') }));
  return dated.filter((x) => x.t >= since).sort((a, b) => b.t - a.t).map((x) => x.r);
}

/** The instant 12 months before `now`. */
export function twelveMonthsBefore(now: Date): string {
  const d = new Date(now);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  return d.toISOString();
}

export const SECTIONS: SectionSpec[] = [
  {
    key: 'problems',
    title: 'Problèmes actifs',
    code: { system: LOINC, code: '11450-4', display: 'Problem list - Reported' },
    columns: ['Problème', 'Statut', 'Début'],
    find: all('Condition', [['clinical-status', 'active']]),
  },
  {
    key: 'medications',
    title: 'Traitements en cours',
    code: { system: LOINC, code: '10160-0', display: 'History of Medication use Narrative' },
    columns: ['Médicament', 'Statut', 'Date'],
    find: async (ctx, q, patient) => [
      ...(await all('MedicationRequest', [['status', 'active']])(ctx, q, patient)),
      ...(await all('MedicationStatement', [['status', 'active']])(ctx, q, patient)),
    ],
  },
  {
    key: 'allergies',
    title: 'Allergies et intolérances',
    code: { system: LOINC, code: '48765-2', display: 'Allergies and adverse reactions Document' },
    columns: ['Substance', 'Statut', 'Criticité'],
    find: all('AllergyIntolerance'),
  },
  {
    key: 'immunizations',
    title: 'Vaccinations',
    code: { system: LOINC, code: '11369-6', display: 'History of Immunization Narrative' },
    columns: ['Vaccin', 'Statut', 'Date'],
    find: all('Immunization', [['_sort', '-date']]),
  },
  {
    key: 'care-team',
    title: 'Équipe de soins',
    code: { system: LOINC, code: '85847-2', display: 'Patient Care team information' },
    columns: ['Équipe', 'Statut', 'Membres'],
    find: all('CareTeam', [['status', 'active']]),
  },
  {
    key: 'care-plans',
    title: 'Plans de soins actifs',
    code: { system: LOINC, code: '18776-5', display: 'Plan of care note' },
    columns: ['Plan', 'Statut', 'Période'],
    find: all('CarePlan', [['status', 'active']]),
  },
  {
    key: 'letters',
    title: 'Courriers des 12 derniers mois',
    code: { system: HUB_SECTIONS, code: 'letters-12-months', display: 'Documents reçus au cours des 12 derniers mois' },
    columns: ['Document', 'Statut', 'Date'],
    find: lettersOfTheYear,
  },
  {
    key: 'vital-signs',
    title: 'Derniers signes vitaux',
    code: { system: LOINC, code: '8716-3', display: 'Vital signs' },
    columns: ['Mesure', 'Valeur', 'Date'],
    find: lastVitalSigns,
  },
];
