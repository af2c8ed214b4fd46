// The access rule of store/access-sql.ts for the inbox, judged on each delivery's patient (message_delivery.patient).
// Why not accessCondition: without planner statistics (PGlite has no autovacuum) its "patients the user cares for"
// set is planned as a nested loop re-run for each row, 190 s for one inbox of 300 messages in 5 000 (bench:inbox);
// and finding each message's patient through idx_reference costs ~25 µs a row. Here the set is computed once, first,
// from the user's own references (a few index seeks whatever the planner knows), and each row is a hash probe.
// Same rule as caredForPatients there (keep the two in step): care team member (self, role, organisation; team not inactive), médecin traitant, document author;
// a patient's opposition (Consent) always holds; break the glass waives the relationship; a patient/ scope narrows.
import { actorMatch, type AccessRule, type CareRelationship } from '../../store/access-sql';
import { opposingPatientsSql } from '../../store/consent-sql';
import type { SqlParams } from '../../store/sql-builder';

/**
 * A condition the planner cannot serve from an index: joined by row id, a link's own columns must not send the planner
 * (which, without statistics, thinks every index returns one row) to the (res_type, param) index of every such link.
 */
const byRowOnly = (cond: string) => `coalesce(${cond}, false)`;

/**
 * The patients the user cares for, driven from the user's own references (an index seek on target_id), the
 * teams and documents found that way, then their patients by row id.
 */
function caredForSql(p: SqlParams, c: CareRelationship): string {
  const ids = p.bind([...c.practitioners, ...c.roles, ...c.organizations]);
  return `SELECT s.target_id AS id FROM idx_reference m JOIN idx_reference s ON s.rid = m.rid
      WHERE m.res_type = 'CareTeam' AND m.param = 'participant' AND m.target_id = ANY(${ids}::text[]) AND ${actorMatch(p, c, 'm', true)}
        AND ${byRowOnly("s.res_type = 'CareTeam' AND s.param = 'subject' AND s.target_type = 'Patient'")}
        AND NOT EXISTS (SELECT 1 FROM idx_token k WHERE k.rid = s.rid AND k.res_type = 'CareTeam' AND k.param = 'status' AND k.code IN ('inactive', 'entered-in-error'))
    UNION ALL
    SELECT gp.id FROM idx_reference g JOIN resource gp ON gp.rid = g.rid
      WHERE g.res_type = 'Patient' AND g.param = 'general-practitioner' AND g.target_id = ANY(${ids}::text[]) AND ${actorMatch(p, c, 'g', false)} AND gp.res_type = 'Patient'
    UNION ALL
    SELECT s.target_id FROM idx_reference a JOIN idx_reference s ON s.rid = a.rid
      WHERE a.res_type IN ('DocumentReference', 'Composition') AND a.param = 'author' AND a.target_id = ANY(${ids}::text[]) AND ${actorMatch(p, c, 'a', false)}
        AND ${byRowOnly("s.res_type = a.res_type AND s.param = 'patient' AND s.target_type = 'Patient'")}`;
}

export interface InboxAccess {
  /** CTEs the statement starts with (materialized: computed once, before any message row is judged). */
  ctes: string[];
  /** The condition on a message's patient id (message_delivery.patient), an SQL expression. */
  condition: (patientId: string) => string;
}

/**
 * TRUE for callers without a care relationship (system, unrestricted); the guard's scope check covers types. A message
 * without a patient is hidden from professionals, as accessCondition hides a Communication without a Patient link.
 */
export function inboxAccess(p: SqlParams, rule: AccessRule | undefined): InboxAccess {
  const c = rule?.care;
  if (!c) return { ctes: [], condition: () => 'TRUE' };
  const ctes = [`opposing AS MATERIALIZED (${opposingPatientsSql(p, c)})`];
  const conds = (id: string) => {
    const out = [`${id} IS NOT NULL`, `${id} NOT IN (SELECT patient FROM opposing)`];
    if (!c.breakGlass) out.push(`${id} IN (SELECT id FROM cared)`);
    if (c.patient !== undefined) out.push(`${id} = ${p.bind(c.patient)}`);
    return out.join(' AND ');
  };
  if (!c.breakGlass) ctes.push(`cared AS MATERIALIZED (${caredForSql(p, c)})`);
  return { ctes, condition: (id) => `coalesce(${conds(id)}, false)` };
}
