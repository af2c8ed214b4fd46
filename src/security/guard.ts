// Access control around every interaction and write (SMART scopes, care relationships, consent) and its audit.
import { FhirError } from '../fhir/errors';
import type { Caller, HubContext, InteractionGuard, ReturnedRow } from '../fhir/hub-context';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import { compartmentParams } from '../fhir/search/compartments';
import { disallowedRids, instanceAccess, patientsOf, type RowRef } from '../store/access-sql';
import type { Queryable } from '../store/db';
import { readCurrent, type VersionWrite } from '../store/resource-store';
import type { AuditRecord } from './audit-event';
import type { AuditTrail } from './audit-trail';
import { callerOf } from './caller';
import { classify, type InteractionKind } from './interaction-kind';
import { membershipDetails } from './careteam-audit';
import { assertFinessWrites } from './finess-writes';
import { currentRequest, inFrame, type Frame, type Principal, type RequestState } from './request-context';
import type { Permission } from './scopes';
import { securityErrors } from './security-errors';

const VERBS: Record<Permission, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
const INSTANCE_CODES = new Set(['read', 'vread', 'history-instance', 'update', 'patch', 'delete', 'operation']);

function scopeRefusal(type: string, permission: Permission, principal: Principal) {
  const context = principal.kind === 'system' ? 'system' : 'user';
  return securityErrors.insufficientScope(`The token's scopes do not allow to ${VERBS[permission]} ${type} (a scope such as ${context}/${type}.${permission} is needed)`);
}

export class SecurityGuard implements InteractionGuard {
  /** The patients of versions being deleted, read before their index rows go, for the audit trail. */
  private readonly deleting = new WeakMap<VersionWrite, string[]>();
  /** The previous JSON of CareTeams being changed, for the membership details of their AuditEvent. */
  private readonly previousTeam = new WeakMap<VersionWrite, string | null>();

  constructor(
    private readonly ctx: HubContext,
    private readonly trail: AuditTrail,
  ) {}

  access() {
    return currentRequest()?.principal.access;
  }

  caller(): Caller | undefined {
    const principal = currentRequest()?.principal;
    return principal ? callerOf(principal) : undefined;
  }

  noteReturned(rows: ReturnedRow[]): void {
    currentRequest()?.frame?.returned.push(...rows.map((r) => ({ rid: r.rid === undefined ? undefined : Number(r.rid), resType: r.resType, id: r.id, patients: r.patients })));
  }

  async around(req: FhirRequest, tx: Queryable | undefined, run: () => Promise<FhirResponse>): Promise<FhirResponse> {
    const state = currentRequest();
    if (!state) return run(); // the hub's own work (imports, loaders, workers)
    const kind = classify(req);
    const frame: Frame = { returned: [], auditedWrites: 0 };
    let patients: string[] = kind.compartment?.type === 'Patient' ? [kind.compartment.id] : [];
    let status = 500;
    let problem: string | undefined;
    try {
      this.checkScopes(state.principal, kind);
      if (INSTANCE_CODES.has(kind.code) && kind.type && kind.id) {
        const found = await this.instance(state.principal, kind, tx ?? this.ctx.db);
        patients = found.patients;
        if (!found.allowed) {
          throw securityErrors.forbidden(`Access to ${kind.type}/${kind.id} is refused: it concerns a patient you have no care relationship with, or who opposes your access`);
        }
      }
      const out = await inFrame(frame, run);
      status = out.status;
      return out;
    } catch (err) {
      status = err instanceof FhirError ? err.status : 500;
      problem = err instanceof FhirError ? err.message : 'Internal error';
      throw err;
    } finally {
      // A write that stored a version was audited in its transaction; everything else is audited here.
      const auditedInTransaction = kind.write && frame.auditedWrites > 0 && status < 400;
      if (kind.code !== 'capabilities' && !auditedInTransaction) this.trail.enqueue(this.record(state, kind, req, status, problem, patients, frame));
    }
  }

  private record(state: RequestState, kind: InteractionKind, req: FhirRequest, status: number, problem: string | undefined, patients: string[], frame: Frame) {
    // Searches and type/system histories list what they returned; the other interactions name their instance.
    const isSearch = kind.code.startsWith('search') || kind.code === 'history-type' || kind.code === 'history-system';
    const instance = kind.type && kind.id && !kind.compartment ? [`${kind.type}/${kind.id}`] : [];
    const returned = frame.returned.map((r) => `${r.resType}/${r.id}`);
    // Rows of the resource table have their patients looked up with the batch; audit rows carry theirs.
    const known = [...frame.returned.flatMap((r) => r.patients ?? []), ...(frame.refusedPatients ?? [])];
    return {
      kind,
      principal: state.principal,
      source: state.source,
      status,
      problem,
      patients: known.length ? [...new Set([...patients, ...known])] : patients,
      resources: isSearch ? returned : instance,
      query: isSearch ? new URLSearchParams(req.params).toString() : undefined,
      recorded: this.ctx.now().toISOString(),
      lookups: frame.returned.filter((r): r is RowRef => r.rid !== undefined),
    };
  }

  private checkScopes(principal: Principal, kind: InteractionKind): void {
    if (kind.type === 'AuditEvent' && kind.write) throw securityErrors.forbidden('AuditEvents are written by the hub alone; clients cannot create, change or delete them');
    const scopes = principal.scopes;
    if (principal.unrestricted || !scopes || !kind.permission) return;
    if (kind.code === 'search-system' || kind.code === 'history-system') {
      const types = kind.types ?? [];
      if (types.length === 0 && !scopes.permitsEveryType('s')) throw securityErrors.insufficientScope('A search across every type needs a wildcard scope such as system/*.s');
      for (const type of types) if (!scopes.permits(type, 's')) throw scopeRefusal(type, 's', principal);
      return;
    }
    if (kind.type && !scopes.permits(kind.type, kind.permission)) throw scopeRefusal(kind.type, kind.permission, principal);
  }

  /** Whether the caller may touch an instance, and the patients it concerns (for the audit trail). */
  private async instance(principal: Principal, kind: InteractionKind, q: Queryable): Promise<{ allowed: boolean; patients: string[] }> {
    const access = principal.access?.care ? { care: principal.access.care } : undefined;
    if (!access && !this.trail.enabled) return { allowed: true, patients: [] };
    // Unrestricted reads, the hot path: the read notes the row it served (read.ts) and the audit batch
    // looks its patients up, two round trips fewer per request than asking here.
    if (!access && kind.code === 'read') return { allowed: true, patients: kind.type === 'Patient' ? [kind.id!] : [] };
    return instanceAccess(q, access, kind.type!, kind.id!);
  }

  async beforeWrite(tx: Queryable, writes: VersionWrite[]): Promise<void> {
    // Before the caller check: an AuditEvent stored as a resource (an import, the hub's own dispatch) would sit
    // where the AuditEvent endpoints never look (they serve the audit log), so it is refused to everyone.
    if (writes.some((w) => w.resType === 'AuditEvent')) throw securityErrors.forbidden('AuditEvents are written by the hub alone; clients cannot create, change or delete them');
    const state = currentRequest();
    if (!state) return;
    const { principal } = state;
    const deletions = writes.filter((w) => w.method === 'delete' && w.rid !== undefined);
    if (this.trail.enabled && deletions.length > 0) {
      const patients = await patientsOf(tx, deletions.map((w) => ({ rid: w.rid!, resType: w.resType, id: w.id })));
      for (const w of deletions) this.deleting.set(w, patients.get(w.rid!) ?? []);
    }
    if (this.trail.enabled) {
      for (const w of writes) if (w.resType === 'CareTeam' && w.rid !== undefined) this.previousTeam.set(w, (await readCurrent(tx, 'CareTeam', w.id))?.content ?? null);
    }
    if (principal.unrestricted) return;
    for (const w of writes) {
      const permission: Permission = w.method === 'delete' ? 'd' : w.method === 'create' ? 'c' : 'u';
      if (!principal.scopes?.permits(w.resType, permission)) throw scopeRefusal(w.resType, permission, principal);
    }
    await assertFinessWrites(tx, principal, writes);
    const care = principal.access?.care;
    const existing = writes.filter((w) => w.rid !== undefined).map((w) => w.rid!);
    if (care && (await disallowedRids(tx, { care }, existing)).length > 0) {
      throw securityErrors.forbidden('The resource concerns a patient you have no care relationship with, or who opposes your access; it cannot be changed');
    }
  }

  async afterWrite(tx: Queryable, writes: VersionWrite[]): Promise<void> {
    const state = currentRequest();
    if (!state) return;
    const care = state.principal.access?.care;
    const stored = writes.filter((w) => w.method !== 'delete').map((w) => w.rid!);
    const refused = care ? await disallowedRids(tx, { care }, stored) : [];
    if (refused.length > 0) {
      // The refusal's AuditEvent names the patients the write was about: an auditor asks who tried.
      if (state.frame) state.frame.refusedPatients = writes.filter((w) => refused.some((r) => r.rid === Number(w.rid))).flatMap(patientsOfWrite);
      const which = refused.map((r) => `${r.resType}/${r.id}`).join(', ');
      throw securityErrors.forbidden(`${which} would concern a patient you have no care relationship with, or who opposes your access`);
    }
    if (!this.trail.enabled) return;
    const records: AuditRecord[] = writes.map((w) => ({
      kind: { code: w.method === 'create' ? 'create' : w.method === 'delete' ? 'delete' : 'update', action: w.method === 'create' ? 'C' : w.method === 'delete' ? 'D' : 'U', type: w.resType, id: w.id },
      principal: state.principal,
      source: state.source,
      status: w.method === 'create' ? 201 : 200,
      patients: this.deleting.get(w) ?? patientsOfWrite(w),
      resources: [`${w.resType}/${w.id}`],
      details: w.resType === 'CareTeam' ? membershipDetails(`CareTeam/${w.id}`, this.previousTeam.get(w), w.content) : undefined,
      recorded: this.ctx.now().toISOString(),
    }));
    await this.trail.writeInTransaction(tx, records);
    if (state.frame) state.frame.auditedWrites += writes.length;
  }
}

/** The patients a written version concerns, from its own index rows (a deletion has none: the id says it). */
function patientsOfWrite(w: VersionWrite): string[] {
  if (w.resType === 'Patient') return [w.id];
  const params = compartmentParams('Patient', w.resType) ?? [];
  const ids = (w.rows?.reference ?? []).filter((r) => r.targetType === 'Patient' && r.targetId && params.includes(r.param)).map((r) => r.targetId!);
  return [...new Set(ids)];
}
