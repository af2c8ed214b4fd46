// The transaction Bundle (FHIR R4 §3.1.0.11.2) that $apply runs: one CarePlan (§11.1) instantiating the
// PlanDefinition and one Task (§12.1) per action, linked both ways through urn:uuid fullUrls.
import { randomUUID } from 'node:crypto';
import type { Bundle, CarePlan, PlanDefinition, PlanDefinitionAction, Reference, Task } from '@medplum/fhirtypes';
import type { ApplyParams } from './apply-params';
import { g15Codes, memberOf, type PatientTeam } from './care-team';
import { dueDate } from './timing';

export interface PlanInput {
  plan: PlanDefinition;
  params: ApplyParams;
  team?: PatientTeam;
  now: Date;
}

const canonicalOf = (plan: PlanDefinition) => (plan.version ? `${plan.url}|${plan.version}` : plan.url!);

/** Every action with its nested ones, in document order: each becomes one Task. */
export function flatActions(actions: PlanDefinitionAction[] | undefined): PlanDefinitionAction[] {
  return (actions ?? []).flatMap((a) => (a.action?.length ? flatActions(a.action) : [a]));
}

/** Who does an action: the team member of its profession, else the team, else the organization parameter. */
function ownerOf(action: PlanDefinitionAction, input: PlanInput): Reference | undefined {
  const team = input.team;
  for (const profession of g15Codes(action.participant?.map((p) => p.role))) {
    const member = team && memberOf(team, profession);
    if (member) return member;
  }
  if (team) return team.careTeam.name ? { reference: `CareTeam/${team.careTeam.id}`, display: team.careTeam.name } : { reference: `CareTeam/${team.careTeam.id}` };
  return input.params.organization ? { reference: input.params.organization } : undefined;
}

function task(action: PlanDefinitionAction, input: PlanInput, carePlanUrl: string): Task {
  const { params, now } = input;
  const due = dueDate(action, now);
  const t: Task = {
    resourceType: 'Task',
    status: 'requested',
    intent: 'plan',
    priority: 'routine',
    instantiatesCanonical: canonicalOf(input.plan),
    basedOn: [{ reference: carePlanUrl }],
    code: action.code?.[0] ?? { text: action.title },
    description: [action.title, action.description].filter(Boolean).join(' : '),
    for: { reference: `${params.subject.type}/${params.subject.id}` },
    authoredOn: now.toISOString(),
  };
  if (params.encounter) t.encounter = { reference: params.encounter };
  // executionPeriod carries the planned window so that worklists sort on it (Task search parameter `period`).
  if (due) {
    t.executionPeriod = { start: now.toISOString(), end: due.toISOString() };
    t.restriction = { period: { end: due.toISOString() } };
    const count = action.timingTiming?.repeat?.count;
    if (count) t.restriction.repetitions = count;
  }
  if (params.practitioner) t.requester = { reference: params.practitioner };
  const owner = ownerOf(action, input);
  if (owner) t.owner = owner as Task['owner'];
  return t;
}

function carePlan(input: PlanInput, taskUrls: string[]): CarePlan {
  const { plan, params, team, now } = input;
  const cp: CarePlan = {
    resourceType: 'CarePlan',
    status: 'active',
    intent: 'plan',
    instantiatesCanonical: [canonicalOf(plan)],
    subject: { reference: `${params.subject.type}/${params.subject.id}` },
    period: { start: now.toISOString() },
    created: now.toISOString(),
    activity: taskUrls.map((reference) => ({ reference: { reference } })),
  };
  if (plan.title ?? plan.name) cp.title = plan.title ?? plan.name;
  if (plan.description) cp.description = plan.description;
  if (params.encounter) cp.encounter = { reference: params.encounter };
  if (params.practitioner) cp.author = { reference: params.practitioner };
  if (team) cp.careTeam = [{ reference: `CareTeam/${team.careTeam.id}` }];
  if (params.organization) cp.contributor = [{ reference: params.organization }];
  if (cp.activity!.length === 0) delete cp.activity;
  return cp;
}

/** The transaction; its first entry is the CarePlan. */
export function planBundle(input: PlanInput): Bundle {
  const carePlanUrl = `urn:uuid:${randomUUID()}`;
  const actions = flatActions(input.plan.action);
  const taskUrls = actions.map(() => `urn:uuid:${randomUUID()}`);
  const tasks = actions.map((a) => task(a, input, carePlanUrl));
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: carePlanUrl, resource: carePlan(input, taskUrls), request: { method: 'POST', url: 'CarePlan' } },
      ...tasks.map((resource, i) => ({ fullUrl: taskUrls[i], resource, request: { method: 'POST' as const, url: 'Task' } })),
    ],
  };
}
