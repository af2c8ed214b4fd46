// CareTeam membership changes in the audit trail (issue 8): the members a write added and removed, stored as the
// team entity's detail (audit_log.details, migration 011) and rendered as AuditEvent.entity.detail.
import type { CareTeam, Reference } from '@medplum/fhirtypes';
import type { AuditDetail } from '../store/audit-log';

/** How a member is named: its reference, else its identifier (system|value), else its display. */
function memberKey(ref: Reference | undefined): string | undefined {
  if (ref?.reference) return ref.reference;
  if (ref?.identifier?.value) return `${ref.identifier.system ?? ''}|${ref.identifier.value}`;
  return ref?.display || undefined;
}

/** The distinct members of a team's JSON (a deleted version has none). */
export function membersOf(content: string | null | undefined): Set<string> {
  if (!content) return new Set();
  const team = JSON.parse(content) as CareTeam;
  return new Set((team.participant ?? []).map((p) => memberKey(p.member)).filter((k): k is string => !!k));
}

/** The details of a CareTeam write, from the previous and the new version's JSON. */
export function membershipDetails(teamRef: string, previous: string | null | undefined, next: string | null | undefined): AuditDetail[] {
  const before = membersOf(previous);
  const after = membersOf(next);
  return [
    ...[...after].filter((m) => !before.has(m)).map((value) => ({ entity: teamRef, type: 'member-added', value })),
    ...[...before].filter((m) => !after.has(m)).map((value) => ({ entity: teamRef, type: 'member-removed', value })),
  ];
}
