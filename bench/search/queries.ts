// The search benchmark's queries (issue 3), with their values picked from the loaded Synthea data.
import type { Queryable } from '../../src/store/db';

export interface SearchCase {
  label: string;
  /** Path and query under the FHIR base, e.g. `Patient?name=Ab`. */
  query: string;
}

/** Picks real values: the patient with the most observations, a family name, a common code... */
export async function pickSearchCases(db: Queryable): Promise<SearchCase[]> {
  const one = async <T>(sql: string, params: unknown[] = []): Promise<T> => {
    const r = await db.query<Record<string, unknown>>(sql, params);
    if (!r.rows[0]) throw new Error(`no data for: ${sql}`);
    return r.rows[0] as T;
  };
  const patient = await one<{ id: string }>(
    `SELECT t.target_id AS id FROM idx_reference t WHERE t.res_type = 'Observation' AND t.param = 'patient'
      GROUP BY t.target_id ORDER BY count(*) DESC LIMIT 1`,
  );
  const family = await one<{ value: string }>(`SELECT raw AS value FROM idx_string WHERE res_type = 'Patient' AND param = 'family' ORDER BY rid LIMIT 1 OFFSET 7`);
  const hasCode = await one<{ code: string }>(
    `SELECT code FROM idx_token WHERE res_type = 'Observation' AND param = 'code' AND system = 'http://loinc.org'
      GROUP BY code ORDER BY count(DISTINCT rid) ASC, code LIMIT 1 OFFSET 5`,
  );
  const prefix = family.value.slice(0, 3);
  const enc = encodeURIComponent;
  return [
    { label: 'code search, count', query: `Observation?code=${enc('http://loinc.org|8867-4')}&_summary=count` },
    { label: 'code search, first page', query: `Observation?code=${enc('http://loinc.org|8867-4')}` },
    { label: 'patient + date, sorted', query: `Observation?patient=${patient.id}&date=ge2015-01-01&_sort=-date` },
    { label: 'name prefix', query: `Patient?name=${enc(prefix)}` },
    { label: '_include patient', query: 'Encounter?_include=Encounter:patient&_count=50' },
    { label: '_has observation code', query: `Patient?_has:Observation:patient:code=${enc(hasCode.code)}` },
    { label: 'chain subject.name', query: `Observation?subject.name=${enc(family.value)}` },
    { label: 'code:text word', query: 'Condition?code:text=diabetes' },
  ];
}
