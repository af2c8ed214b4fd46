// The append-only audit log (IHE BALP over FHIR R4 AuditEvent §6.4): batched inserts, lookups by id, searches.
import { rangeCondition, type Prefix } from '../fhir/search/prefix';
import { auditAccessCondition, type AccessRule } from './access-sql';
import type { Queryable } from './db';
import { SqlParams } from './sql-builder';

/** One audited interaction, flat: the columns of audit_log (migration 007). */
export interface AuditEntry {
  recorded: string;
  action: string;
  subtype: string;
  outcome: string;
  outcomeDesc?: string;
  agentKind: string;
  agentRef?: string;
  agentSystem?: string;
  agentId?: string;
  clientId?: string;
  organizations: string[];
  sourceAddress?: string;
  patients: string[];
  entities: string[];
  query?: string;
  breakGlass?: string;
  requestId?: string;
  /** entity.detail of some entities (e.g. a CareTeam's members added and removed). */
  details?: AuditDetail[];
}

/** One AuditEvent.entity.detail of the entity `entity` (Type/id). */
export interface AuditDetail {
  entity: string;
  type: string;
  value: string;
}

/** A stored row: its AuditEvent id, and the JSON of an event stored before the log existed. */
export interface AuditRow {
  id: string;
  entry: AuditEntry;
  legacyContent?: string;
}

const COLUMNS: [keyof AuditEntry, string, string][] = [
  ['recorded', 'recorded', 'timestamptz'],
  ['action', 'action', 'text'],
  ['subtype', 'subtype', 'text'],
  ['outcome', 'outcome', 'text'],
  ['outcomeDesc', 'outcome_desc', 'text'],
  ['agentKind', 'agent_kind', 'text'],
  ['agentRef', 'agent_ref', 'text'],
  ['agentSystem', 'agent_system', 'text'],
  ['agentId', 'agent_id', 'text'],
  ['clientId', 'client_id', 'text'],
  ['organizations', 'organizations', 'text[]'],
  ['sourceAddress', 'source_address', 'text'],
  ['patients', 'patients', 'text[]'],
  ['entities', 'entities', 'text[]'],
  ['query', 'query', 'text'],
  ['breakGlass', 'break_glass', 'text'],
  ['requestId', 'request_id', 'text'],
  ['details', 'details', 'jsonb'],
];

const names = COLUMNS.map(([, c]) => c).join(', ');
// One array parameter per column and one statement, whatever the batch size: a batch costs one round trip, and
// PostgreSQL reads arrays faster than the same rows as one JSON document (docs/performance.md, "Audit log").
// Array columns travel as one array literal per row, cast back per row: the rows' lists differ in length.
const INSERT = `INSERT INTO audit_log (${names}) SELECT ${COLUMNS.map(([, c, t]) => (t === 'text' ? c : `${c}::${t}`)).join(', ')}
  FROM unnest(${COLUMNS.map(([, , t], i) => `$${i + 1}::${t === 'timestamptz' ? t : 'text'}[]`).join(', ')}) AS x(${names})`;

/** PostgreSQL text cannot hold NUL; a query string or a requested id might. */
const clean = (s: string) => s.replace(/\0/g, '');

/** A text[] literal: every element quoted, so nothing in it can end or split it. */
function arrayLiteral(items: string[]): string {
  return `{${items.map((i) => `"${clean(i).replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

function columnValue(v: unknown, type: string): string | null {
  if (v === undefined || v === null) return null;
  if (type === 'text[]') return arrayLiteral(v as string[]);
  if (type === 'jsonb') return JSON.stringify(v).replace(/\\u0000/g, '');
  return clean(String(v));
}

export async function insertAuditEntries(q: Queryable, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await q.query(INSERT, COLUMNS.map(([k, , t]) => entries.map((e) => columnValue(e[k], t))));
}

type Row = Record<string, unknown> & { seq: string | number; legacy_id: string | null; legacy_content: string | null };

function fromRow(r: Row): AuditRow {
  const entry = {} as Record<string, unknown>;
  for (const [k, c] of COLUMNS) if (r[c] !== null && r[c] !== undefined) entry[k] = r[c];
  entry.recorded = new Date(r.recorded as string).toISOString();
  return { id: r.legacy_id ?? String(r.seq), entry: entry as unknown as AuditEntry, legacyContent: r.legacy_content ?? undefined };
}

/** The id condition: new rows are named by their sequence number, migrated ones keep their old id. */
function idCondition(p: SqlParams, ids: string[]): string {
  const seqs = ids.filter((i) => /^\d{1,18}$/.test(i));
  return `(a.seq = ANY(${p.bind(seqs)}::bigint[]) OR a.legacy_id = ANY(${p.bind(ids)}::text[]))`;
}

/** One row by its AuditEvent id, with whether the caller's rule lets them see it. */
export async function findAuditRow(q: Queryable, id: string, rule: AccessRule | undefined): Promise<{ row: AuditRow; allowed: boolean } | undefined> {
  const p = new SqlParams();
  const where = idCondition(p, [id]);
  const allowed = auditAccessCondition(p, rule, 'a');
  const r = await q.query<Row & { allowed: boolean }>(`SELECT a.*, (${allowed}) AS allowed FROM audit_log a WHERE ${where} LIMIT 1`, p.values);
  const row = r.rows[0];
  return row ? { row: fromRow(row), allowed: Boolean(row.allowed) } : undefined;
}

/** A search criterion; values of one criterion are OR-ed, criteria are AND-ed. */
export type AuditCriterion =
  | { on: 'id' | 'patient' | 'entity' | 'agent' | 'altid' | 'subtype' | 'outcome' | 'action'; values: string[] }
  | { on: 'date'; ranges: { prefix: Prefix; lo: string; hi: string }[] }
  | { on: 'none' };

export interface AuditSearch {
  criteria: AuditCriterion[];
  access?: AccessRule;
  /** Newest first when true, by recorded time; otherwise in the order written. */
  sort?: 'recorded' | '-recorded';
  count: number;
  offset: number;
  withCount: boolean;
  withPage: boolean;
}

function criterionSql(p: SqlParams, c: AuditCriterion): string {
  if (c.on === 'none') return 'FALSE';
  if (c.on === 'date') {
    const ors = c.ranges.map((r) => rangeCondition(r.prefix, 'a.recorded', 'a.recorded', () => `${p.bind(r.lo)}::timestamptz`, () => `${p.bind(r.hi)}::timestamptz`));
    return `(${ors.join(' OR ')})`;
  }
  const v = c.values;
  const patientIds = (refs: string[]) => refs.filter((r) => r.startsWith('Patient/')).map((r) => r.slice(8));
  switch (c.on) {
    case 'id':
      return idCondition(p, v);
    case 'patient':
      return `a.patients && ${p.bind(v)}::text[]`;
    case 'entity':
      // A patient is an entity too (role 1): entity=Patient/x finds the events about x.
      return `(a.entities && ${p.bind(v)}::text[] OR a.patients && ${p.bind(patientIds(v))}::text[])`;
    case 'agent': {
      const orgs = v.filter((r) => r.startsWith('Organization/')).map((r) => r.slice(13));
      return `(a.agent_ref = ANY(${p.bind(v)}::text[]) OR a.organizations && ${p.bind(orgs)}::text[])`;
    }
    case 'altid':
      return `a.client_id = ANY(${p.bind(v)}::text[])`;
    case 'subtype':
      return `a.subtype = ANY(${p.bind(v)}::text[])`;
    case 'outcome':
      return `a.outcome = ANY(${p.bind(v)}::text[])`;
    case 'action':
      return `a.action = ANY(${p.bind(v)}::text[])`;
  }
}

export async function searchAuditLog(q: Queryable, s: AuditSearch): Promise<{ rows: AuditRow[]; total?: number; hasMore: boolean }> {
  const p = new SqlParams();
  const conds = s.criteria.map((c) => criterionSql(p, c));
  if (s.access) conds.push(auditAccessCondition(p, s.access, 'a'));
  const where = conds.length ? conds.join(' AND ') : 'TRUE';
  const whereValues = [...p.values];
  const total = s.withCount ? Number((await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log a WHERE ${where}`, whereValues)).rows[0].n) : undefined;
  if (!s.withPage) return { rows: [], total, hasMore: false };
  const order = s.sort === '-recorded' ? 'a.recorded DESC, a.seq DESC' : s.sort === 'recorded' ? 'a.recorded, a.seq' : 'a.seq';
  const r = await q.query<Row>(`SELECT a.* FROM audit_log a WHERE ${where} ORDER BY ${order} LIMIT ${p.bind(s.count + 1)} OFFSET ${p.bind(s.offset)}`, p.values);
  return { rows: r.rows.slice(0, s.count).map(fromRow), total, hasMore: r.rows.length > s.count };
}
