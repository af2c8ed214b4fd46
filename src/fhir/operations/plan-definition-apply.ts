// PlanDefinition/$apply (FHIR R4 §12.18.4.1, OperationDefinition PlanDefinition-apply): a CarePlan and its Tasks
// for one patient, written in one transaction through dispatch (validation, access control, audit, subscriptions).
import type { Bundle, CarePlan, PlanDefinition } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { applyParams, type ApplyParams } from '../../workflows/care-plans/apply-params';
import { patientTeam, searchAsCaller } from '../../workflows/care-plans/care-team';
import { planBundle } from '../../workflows/care-plans/plan-bundle';
import { errors, FhirError } from '../errors';
import type { HubContext } from '../hub-context';
import { assertId } from '../interactions/body';
import { newRequest, type FhirRequest, type FhirResponse } from '../request';
import { dispatch } from '../router';

const bodyOf = <T>(out: FhirResponse): T => (out.resource ?? JSON.parse(out.json!)) as T;

/** The PlanDefinition of the URL (instance level) or of the `url` parameter (type level, `url` or `url|version`). */
async function planDefinition(ctx: HubContext, req: FhirRequest, params: ApplyParams): Promise<PlanDefinition> {
  if (req.path.length === 3) {
    assertId(req.path[1]);
    return bodyOf<PlanDefinition>(await dispatch(ctx, newRequest('GET', ['PlanDefinition', req.path[1]])));
  }
  if (!params.url) throw errors.badRequest('$apply on PlanDefinition needs the url of the PlanDefinition to apply', 'url', 'HUB-0444');
  const [url, version] = params.url.split('|');
  const search: [string, string][] = [['url', url], ['_sort', '-_lastUpdated']];
  if (version) search.push(['version', version]);
  const found = await searchAsCaller<PlanDefinition>(ctx, 'PlanDefinition', search);
  const active = found.find((p) => p.status === 'active') ?? found[0];
  if (!active) throw errors.notFound(`No PlanDefinition has the url ${params.url}`);
  return active;
}

/** A referenced resource must exist and be visible to the caller; otherwise 422 naming the parameter. */
async function assertKnown(ctx: HubContext, ref: string | undefined, name: string): Promise<void> {
  if (!ref) return;
  try {
    await dispatch(ctx, newRequest('GET', ref.split('/')));
  } catch (err) {
    if (err instanceof FhirError && (err.status === 404 || err.status === 410)) throw errors.unprocessableText(`The ${name} ${ref} is not known`, name);
    throw err;
  }
}

export async function planDefinitionApplyOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  // The CarePlan and its Tasks are one transaction Bundle, and a transaction cannot nest in another.
  if (tx) throw errors.badRequest('$apply cannot run inside a transaction; send it alone or in a batch', 'Bundle', 'HUB-0468');
  const params = applyParams(req);
  const plan = await planDefinition(ctx, req, params);
  if (plan.status === 'retired') throw errors.unprocessableText(`PlanDefinition ${plan.url ?? plan.id} is retired`, 'PlanDefinition.status');
  if (!plan.url) throw errors.unprocessableText(`PlanDefinition/${plan.id} has no url to instantiate`, 'PlanDefinition.url');
  const subject = `${params.subject.type}/${params.subject.id}`;
  await assertKnown(ctx, subject, 'subject');
  await assertKnown(ctx, params.practitioner, 'practitioner');
  await assertKnown(ctx, params.organization, 'organization');
  await assertKnown(ctx, params.encounter, 'encounter');
  const now = ctx.now();
  const team = await patientTeam(ctx, subject, now);
  const bundle = planBundle({ plan, params, team, now });
  const out = await dispatch(ctx, newRequest('POST', [], { body: bundle, headers: { prefer: 'return=representation' } }));
  const first = bodyOf<Bundle>(out).entry?.[0];
  const carePlan = first?.resource as CarePlan | undefined;
  if (!carePlan) throw errors.unprocessableText('The CarePlan of $apply was not returned by its transaction');
  const headers: Record<string, string> = {};
  if (first?.response?.location) headers.Location = first.response.location;
  return { status: 201, resource: carePlan, headers };
}
