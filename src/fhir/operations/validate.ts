// $validate (FHIR R4 §2.41.5 Resource-validate): on a type or an instance, with `profile` and
// `mode=create|update|delete`; the answer is an OperationOutcome, 200 whenever validation ran.
import type { OperationOutcomeIssue, Parameters, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { readCurrent, type StoredVersion } from '../../store/resource-store';
import { errors, issue, outcome } from '../errors';
import type { HubContext } from '../hub-context';
import { assertId, assertResourceType, resourceBody } from '../interactions/body';
import { packageOrigin, storedPackageOrigin } from '../package-origin';
import { param, type FhirRequest, type FhirResponse } from '../request';

const MODES = ['create', 'update', 'delete'];

interface ValidateInput {
  resource?: Resource;
  profile?: string;
  mode?: string;
}

/** The body is the resource itself, or Parameters with resource, profile and mode (§2.41.5); URL parameters too. */
function input(req: FhirRequest, type: string): ValidateInput {
  const out: ValidateInput = { profile: param(req, 'profile'), mode: param(req, 'mode') };
  const body = req.body as Resource | undefined;
  if (body?.resourceType === 'Parameters' && type !== 'Parameters') {
    for (const p of (body as Parameters).parameter ?? []) {
      if (p.name === 'resource') out.resource = p.resource;
      else if (p.name === 'profile') out.profile = p.valueUri ?? p.valueCanonical ?? p.valueString;
      else if (p.name === 'mode') out.mode = p.valueCode ?? p.valueString;
    }
  } else if (body !== undefined) out.resource = body;
  if (out.resource) out.resource = resourceBody(out.resource, type);
  if (out.mode !== undefined && !MODES.includes(out.mode)) throw errors.badRequest(`mode must be create, update or delete, not "${out.mode}"`, 'mode', 'HUB-0444');
  return out;
}

const error = (code: OperationOutcomeIssue['code'], text: string, expression?: string) => issue({ severity: 'error', code, text, expression });

/** mode=delete: could the stored instance be deleted? Only resources loaded from packages cannot. */
function checkDelete(type: string, id: string | undefined, stored: StoredVersion | undefined): OperationOutcomeIssue[] {
  if (!id) throw errors.badRequest('mode=delete needs an instance: POST [type]/[id]/$validate', 'mode', 'HUB-0444');
  if (!stored || stored.deleted) throw errors.notFound(`${type}/${id} does not exist`);
  const origin = storedPackageOrigin(stored);
  return origin ? [error('business-rule', `${type}/${id} comes from the FHIR package ${origin} and cannot be deleted`)] : [];
}

/** What a create or an update of this content would be told, without writing it. */
function checkWrite(ctx: HubContext, type: string, id: string | undefined, mode: string | undefined, target: Resource, stored: StoredVersion | undefined, profile: string | undefined): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  if (mode === 'update') {
    if (!target.id) issues.push(error('required', 'For an update the resource needs its id', `${type}.id`));
    else if (id && target.id !== id) issues.push(error('invalid', `For an update the id must be "${id}", not "${target.id}"`, `${type}.id`));
    const origin = storedPackageOrigin(stored);
    if (origin) issues.push(error('business-rule', `${type}/${id} comes from the FHIR package ${origin} and cannot be updated`));
  }
  if (packageOrigin(target)) issues.push(error('business-rule', 'The origin tag https://fhir-hub.fr/CodeSystem/origin|package is reserved to resources loaded from packages', `${type}.meta.tag`));
  if (profile && !ctx.knowsProfile?.(profile)) issues.push(error('not-supported', `The profile ${profile} is not held by the hub (or profile validation is off): the resource was not checked against it`));
  issues.push(...ctx.validate(target, { profiles: profile ? [profile] : [] }));
  return issues;
}

export async function validateOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type, second] = req.path;
  const id = second?.startsWith('$') ? undefined : second;
  assertResourceType(type);
  if (id) assertId(id);
  const { resource, profile, mode } = input(req, type);
  const stored = id ? await readCurrent(tx ?? ctx.db, type, id) : undefined;
  let issues: OperationOutcomeIssue[];
  if (mode === 'delete') issues = checkDelete(type, id, stored);
  else {
    const target = resource ?? (stored && !stored.deleted ? (JSON.parse(stored.content!) as Resource) : undefined);
    if (!target) {
      if (id) throw errors.notFound(`${type}/${id} does not exist; give the resource to validate in the body`);
      throw errors.badRequest('Give the resource to validate in the body', 'resource', 'HUB-0444');
    }
    issues = checkWrite(ctx, type, id, mode, target, stored, profile);
  }
  const list = issues.length ? issues : [issue({ severity: 'information', code: 'informational', text: 'Validation found no issues' })];
  return { status: 200, resource: outcome(list), headers: {} };
}
