// Access control as SQL conditions (FHIR R4 §3.1.0.9.4 Patient compartment): added to the WHERE of every
// search, include and instance check, so counts, pages, includes, chains and _has only ever see allowed rows.
import { compartmentMembers, compartmentParams } from '../fhir/search/compartments';
import type { Queryable } from './db';
import { opposingPatientsSql } from './consent-sql';
import { SqlParams } from './sql-builder';

/** What the caller may see; every field narrows, none widens. */
export interface AccessRule {
  /** Readable resource types, when scopes do not grant every type. */
  types?: { all: true; except: string[] } | { all: false; only: string[] };
  /** Patient data limited to a care relationship; absent: every patient (system clients). */
  care?: CareRelationship;
}

export interface CareRelationship {
  practitioners: string[];
  roles: string[];
  organizations: string[];
  /** Break the glass: every patient, the relationship waived; a patient's opposition still holds. */
  breakGlass: boolean;
  /** patient/ scopes: this patient alone. */
  patient?: string;
}

/** Directory data: readable by every authenticated user. */
export const DIRECTORY_TYPES = ['Practitioner', 'PractitionerRole', 'Organization', 'HealthcareService', 'Location', 'Schedule', 'Slot'];
/** Outside the Patient compartment yet able to hold patient data: for users bound to a care relationship, judged by securityContext (binaryAllowed). */
const WITHHELD_TYPES = ['Binary'];

function patientLinks(): [string, string][] {
  return compartmentMembers('Patient').flatMap((type) => (compartmentParams('Patient', type) ?? []).map((param): [string, string] => [type, param]));
}

/** A reference index row `alias` points at one of the user's actors (practitioner, role, and organisations if asked). */
export function actorMatch(p: SqlParams, c: CareRelationship, alias: string, withOrganizations: boolean): string {
  const parts = [
    `(${alias}.target_type = 'Practitioner' AND ${alias}.target_id = ANY(${p.bind(c.practitioners)}::text[]))`,
    `(${alias}.target_type = 'PractitionerRole' AND ${alias}.target_id = ANY(${p.bind(c.roles)}::text[]))`,
  ];
  if (withOrganizations) parts.push(`(${alias}.target_type = 'Organization' AND ${alias}.target_id = ANY(${p.bind(c.organizations)}::text[]))`);
  return `(${parts.join(' OR ')})`;
}

/** Patient ids the user cares for: care team member (self, role, organisation), médecin traitant, document author. */
function caredForPatients(p: SqlParams, c: CareRelationship): string {
  return `SELECT s.target_id FROM idx_reference s WHERE s.res_type = 'CareTeam' AND s.param = 'subject' AND s.target_type = 'Patient'
      AND s.rid IN (SELECT m.rid FROM idx_reference m WHERE m.res_type = 'CareTeam' AND m.param = 'participant' AND ${actorMatch(p, c, 'm', true)})
      AND s.rid NOT IN (SELECT k.rid FROM idx_token k WHERE k.res_type = 'CareTeam' AND k.param = 'status' AND k.code IN ('inactive', 'entered-in-error'))
    UNION ALL
    SELECT gp.id FROM resource gp JOIN idx_reference g ON g.rid = gp.rid
     WHERE gp.res_type = 'Patient' AND g.res_type = 'Patient' AND g.param = 'general-practitioner' AND ${actorMatch(p, c, 'g', false)}
    UNION ALL
    SELECT s.target_id FROM idx_reference s WHERE s.res_type IN ('DocumentReference', 'Composition') AND s.param = 'patient' AND s.target_type = 'Patient'
      AND s.rid IN (SELECT a.rid FROM idx_reference a WHERE a.res_type IN ('DocumentReference', 'Composition') AND a.param = 'author' AND ${actorMatch(p, c, 'a', false)})`;
}

/** The condition on a Patient id expression. */
function patientAllowed(p: SqlParams, c: CareRelationship, idExpr: string): string {
  const conds = [`${idExpr} NOT IN (${opposingPatientsSql(p, c)})`];
  if (!c.breakGlass) conds.push(`${idExpr} IN (${caredForPatients(p, c)})`);
  if (c.patient !== undefined) conds.push(`${idExpr} = ${p.bind(c.patient)}`);
  return conds.join(' AND ');
}

function typeAllowed(rule: AccessRule, type: string): boolean {
  const t = rule.types;
  return !(t && (t.all ? t.except.includes(type) : !t.only.includes(type)));
}

/**
 * A Binary (FHIR R4 Binary.securityContext: "a resource whose access rules apply"): readable when it names a
 * Patient the user may see, or a resource of such a patient's compartment (a letter's DocumentReference); a
 * Binary without securityContext stays hidden from users bound to a care relationship.
 */
function binaryAllowed(p: SqlParams, c: CareRelationship, alias: string): string {
  const ref = `(${alias}.content::jsonb -> 'securityContext' ->> 'reference')`;
  const links = patientLinks();
  // coalesce: without securityContext the comparisons are NULL, and NOT NULL would let the row through a check.
  return `coalesce(${ref} LIKE 'Patient/%' AND ${patientAllowed(p, c, `split_part(${ref}, '/', 2)`)}, false)
    OR EXISTS (SELECT 1 FROM resource sc JOIN idx_reference t ON t.rid = sc.rid
         WHERE sc.res_type = split_part(${ref}, '/', 1) AND sc.id = split_part(${ref}, '/', 2) AND NOT sc.deleted
           AND (t.res_type || '.' || t.param) = ANY(${p.bind(links.map(([type, param]) => `${type}.${param}`))}::text[])
           AND t.target_type = 'Patient' AND ${patientAllowed(p, c, 't.target_id')})`;
}

/** The condition for rows of one known type. */
function typedCondition(p: SqlParams, rule: AccessRule, alias: string, type: string): string {
  if (!typeAllowed(rule, type)) return 'FALSE';
  const c = rule.care;
  if (!c || DIRECTORY_TYPES.includes(type)) return 'TRUE';
  if (type === 'Patient') return patientAllowed(p, c, `${alias}.id`);
  if (type === 'Binary') return `(${binaryAllowed(p, c, alias)})`;
  const params = compartmentParams('Patient', type);
  if (!params) return 'TRUE';
  return `${alias}.rid IN (SELECT t.rid FROM idx_reference t WHERE t.res_type = ${p.bind(type)} AND t.param = ANY(${p.bind(params)}::text[])
    AND t.target_type = 'Patient' AND ${patientAllowed(p, c, 't.target_id')})`;
}

/** The condition for rows of any type (system search, includes). */
function anyTypeCondition(p: SqlParams, rule: AccessRule, alias: string): string {
  const conds: string[] = [];
  const t = rule.types;
  if (t) conds.push(t.all ? `${alias}.res_type <> ALL(${p.bind(t.except)}::text[])` : `${alias}.res_type = ANY(${p.bind(t.only)}::text[])`);
  const c = rule.care;
  if (c) {
    const links = patientLinks();
    const patientData = new Set(['Patient', ...links.map(([type]) => type), ...WITHHELD_TYPES]);
    conds.push(`(${alias}.res_type <> ALL(${p.bind([...patientData])}::text[])
      OR (${alias}.res_type = 'Patient' AND ${patientAllowed(p, c, `${alias}.id`)})
      OR (${alias}.res_type = 'Binary' AND (${binaryAllowed(p, c, alias)}))
      OR ${alias}.rid IN (SELECT t.rid FROM idx_reference t
           WHERE (t.res_type || '.' || t.param) = ANY(${p.bind(links.map(([type, param]) => `${type}.${param}`))}::text[])
             AND t.target_type = 'Patient' AND ${patientAllowed(p, c, 't.target_id')}))`);
  }
  return conds.length ? conds.join(' AND ') : 'TRUE';
}

/** The access condition on resource row `alias`, of `type` when known ('' or undefined: any type). */
export function accessCondition(p: SqlParams, rule: AccessRule | undefined, alias: string, type?: string): string {
  if (!rule) return 'TRUE';
  return type ? typedCondition(p, rule, alias, type) : anyTypeCondition(p, rule, alias);
}

/**
 * The condition on an audit_log row `alias` (AuditEvent, served from its own table): the type must be
 * readable, and a caller bound to a care relationship sees the events about at least one patient they
 * may see — the rule the Patient compartment gives AuditEvent.patient in the generic engine.
 */
export function auditAccessCondition(p: SqlParams, rule: AccessRule | undefined, alias: string): string {
  if (!rule) return 'TRUE';
  if (!typeAllowed(rule, 'AuditEvent')) return 'FALSE';
  if (!rule.care) return 'TRUE';
  return `EXISTS (SELECT 1 FROM unnest(${alias}.patients) AS ap(id) WHERE ${patientAllowed(p, rule.care, 'ap.id')})`;
}

export interface InstanceAccess {
  exists: boolean;
  allowed: boolean;
  /** Patients the resource is about (itself for a Patient), for the audit trail. */
  patients: string[];
}

/** Whether the current version of type/id may be seen, and whom it concerns. A deleted resource counts as existing. */
export async function instanceAccess(q: Queryable, rule: AccessRule | undefined, type: string, id: string): Promise<InstanceAccess> {
  const p = new SqlParams();
  const typeParam = p.bind(type);
  const idParam = p.bind(id);
  const cond = accessCondition(p, rule, 'r', type);
  const r = await q.query<{ rid: number; deleted: boolean; allowed: boolean }>(
    `SELECT r.rid, r.deleted, (${cond}) AS allowed FROM resource r WHERE r.res_type = ${typeParam} AND r.id = ${idParam}`,
    p.values,
  );
  const row = r.rows[0];
  if (!row) return { exists: false, allowed: true, patients: type === 'Patient' ? [id] : [] };
  const patients = (await patientsOf(q, [{ rid: Number(row.rid), resType: type, id }])).get(Number(row.rid)) ?? [];
  // A deleted resource has no index rows to judge it by: its deletion is answered (410) like a missing one.
  return { exists: true, allowed: Boolean(row.allowed) || Boolean(row.deleted), patients };
}

/** Rids among `rids` that the rule does not allow (current, not deleted versions). */
export async function disallowedRids(q: Queryable, rule: AccessRule | undefined, rids: number[]): Promise<RowRef[]> {
  if (!rule || rids.length === 0) return [];
  const p = new SqlParams();
  const ridsParam = p.bind(rids);
  const cond = accessCondition(p, rule, 'r');
  const r = await q.query<RowRef>(
    `SELECT r.rid, r.res_type AS "resType", r.id FROM resource r WHERE r.rid = ANY(${ridsParam}::bigint[]) AND NOT r.deleted AND NOT (${cond})`,
    p.values,
  );
  return r.rows.map((row) => ({ ...row, rid: Number(row.rid) }));
}

/** A stored resource row, by its rid, type and id. */
export interface RowRef {
  rid: number;
  resType: string;
  id: string;
}

/** The patients each resource is about (by rid): a Patient itself, the others through the Patient compartment parameters. */
export async function patientsOf(q: Queryable, rows: RowRef[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const row of rows) if (row.resType === 'Patient') out.set(row.rid, [row.id]);
  const rids = [...new Set(rows.filter((row) => row.resType !== 'Patient').map((row) => row.rid))];
  if (rids.length === 0) return out;
  const links = patientLinks().map(([type, param]) => `${type}.${param}`);
  const r = await q.query<{ rid: number; patient: string }>(
    `SELECT t.rid, t.target_id AS patient FROM idx_reference t
      WHERE t.rid = ANY($1::bigint[]) AND t.target_type = 'Patient' AND (t.res_type || '.' || t.param) = ANY($2::text[])`,
    [rids, links],
  );
  for (const row of r.rows) {
    const rid = Number(row.rid);
    const list = out.get(rid) ?? [];
    if (!list.includes(row.patient)) list.push(row.patient);
    out.set(rid, list);
  }
  return out;
}
