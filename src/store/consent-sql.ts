// Patient opposition as SQL (FHIR R4 Consent §6.2: provision, nested provisions as exceptions, provision.period).
import type { CareRelationship } from './access-sql';
import type { SqlParams } from './sql-builder';

/**
 * A provision applies to the user now when it names one of their actors (or names no actor: everyone)
 * and `now()` lies within its period. Partial dates (2024, 2024-05) cover their whole year or month;
 * a bound that is no FHIR date is ignored rather than failing every query of the user.
 */
function applies(node: string, actors: string): string {
  const bound = (path: string, upper: boolean) => {
    const v = `(${node} #>> '{period,${path}}')`;
    const cmp = upper ? 'now() <' : 'now() >=';
    const span = (unit: string) => (upper ? ` + interval '1 ${unit}'` : '');
    // CASE, not OR: PostgreSQL does not promise to test the format before it casts.
    return `(CASE WHEN ${v} IS NULL OR ${v} !~ '^\\d{4}(-\\d{2}(-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?)?)?$' THEN true
      WHEN length(${v}) = 4 THEN ${cmp} (${v} || '-01-01')::timestamptz${span('year')}
      WHEN length(${v}) = 7 THEN ${cmp} (${v} || '-01')::timestamptz${span('month')}
      WHEN length(${v}) = 10 THEN ${cmp} ${v}::timestamptz${span('day')}
      ELSE ${cmp} ${v}::timestamptz END)`;
  };
  const actorOk = `(jsonb_typeof(${node} -> 'actor') IS DISTINCT FROM 'array' OR jsonb_array_length(${node} -> 'actor') = 0
      OR EXISTS (SELECT 1 FROM jsonb_array_elements(${node} -> 'actor') pa
                  WHERE substring(pa.value #>> '{reference,reference}' from '([A-Za-z]+/[A-Za-z0-9.-]+)$') = ANY(${actors}::text[])))`;
  return `(${actorOk} AND ${bound('start', false)} AND ${bound('end', true)})`;
}

/**
 * Patients who oppose the user: an active Consent whose provision tree, read as R4 defines it, denies them now.
 * The root provision is the base rule (no type: permit); each nested provision is an exception to its parent
 * and counts only where the parent applies. The decision is that of the deepest provisions that apply;
 * if one of those denies, the patient opposes (deny wins between siblings).
 */
export function opposingPatientsSql(p: SqlParams, c: CareRelationship): string {
  const actors = p.bind([
    ...c.practitioners.map((id) => `Practitioner/${id}`),
    ...c.roles.map((id) => `PractitionerRole/${id}`),
    ...c.organizations.map((id) => `Organization/${id}`),
  ]);
  const children = (node: string) => `jsonb_array_elements(CASE WHEN jsonb_typeof(${node} -> 'provision') = 'array' THEN ${node} -> 'provision' ELSE '[]'::jsonb END)`;
  return `WITH RECURSIVE consent AS (
      SELECT s.target_id AS patient, cr.content::jsonb -> 'provision' AS root FROM idx_reference s JOIN resource cr ON cr.rid = s.rid
       WHERE s.res_type = 'Consent' AND s.param = 'patient' AND s.target_type = 'Patient' AND NOT cr.deleted
         AND s.rid IN (SELECT k.rid FROM idx_token k WHERE k.res_type = 'Consent' AND k.param = 'status' AND k.code = 'active')
         AND cr.content LIKE '%"deny"%'
    ), node AS (
      SELECT c.patient, c.root AS n, coalesce(c.root ->> 'type', 'permit') AS decision FROM consent c
       WHERE jsonb_typeof(c.root) = 'object' AND ${applies('c.root', actors)}
      UNION ALL
      SELECT node.patient, ch.value, coalesce(ch.value ->> 'type', node.decision) FROM node, ${children('node.n')} ch
       WHERE jsonb_typeof(ch.value) = 'object' AND ${applies('ch.value', actors)}
    )
    SELECT node.patient FROM node WHERE node.decision = 'deny'
       AND NOT EXISTS (SELECT 1 FROM ${children('node.n')} ch WHERE jsonb_typeof(ch.value) = 'object' AND ${applies('ch.value', actors)})`;
}
