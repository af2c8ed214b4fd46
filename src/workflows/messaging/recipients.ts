// Who a message reaches (issue 8): a CareTeam recipient stands for each current member of the team.
import type { CareTeam, Communication } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';

/** The types a message can be delivered to once teams are expanded. */
const DELIVERABLE = /^(Practitioner|PractitionerRole|Organization|RelatedPerson|Patient|HealthcareService)\/[^/]+$/;

/** Members of a team whose participation covers `now` (no period, or a period around it). */
function currentMembers(team: CareTeam, now: Date): string[] {
  return (team.participant ?? [])
    .filter((p) => !(p.period?.start && new Date(p.period.start) > now) && !(p.period?.end && new Date(p.period.end) < now))
    .map((p) => p.member?.reference)
    .filter((r): r is string => typeof r === 'string');
}

/**
 * The message's recipients as unique `Type/id` references, CareTeams replaced by their current members
 * (one level: a team listed inside a team is expanded too, cycles ignored). Unknown or deleted teams give nothing;
 * recipients of other types (Device, Group) are left out.
 */
export async function expandRecipients(q: Queryable, communication: Pick<Communication, 'recipient'>, now = new Date()): Promise<string[]> {
  const out = new Set<string>();
  const seenTeams = new Set<string>();
  const pending = (communication.recipient ?? []).map((r) => r.reference).filter((r): r is string => typeof r === 'string');
  while (pending.length > 0) {
    const ref = pending.shift()!;
    if (ref.startsWith('CareTeam/')) {
      if (seenTeams.has(ref)) continue;
      seenTeams.add(ref);
      const stored = await readCurrent(q, 'CareTeam', ref.slice('CareTeam/'.length));
      if (stored?.content) pending.push(...currentMembers(JSON.parse(stored.content) as CareTeam, now));
    } else if (DELIVERABLE.test(ref)) {
      out.add(ref);
    }
  }
  return [...out];
}
