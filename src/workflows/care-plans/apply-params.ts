// Input parameters of PlanDefinition/$apply (FHIR R4 OperationDefinition PlanDefinition-apply, §12.18.4.1):
// from a Parameters body (POST) or the query; strings, references and canonicals are all accepted as text.
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { errors } from '../../fhir/errors';
import type { FhirRequest } from '../../fhir/request';

export interface ApplyParams {
  subject: { type: string; id: string };
  practitioner?: string;
  organization?: string;
  encounter?: string;
  /** Type level: the canonical of the PlanDefinition (`url` or `url|version`). */
  url?: string;
  setting?: string;
}

const REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
const KNOWN = ['subject', 'practitioner', 'organization', 'encounter', 'url', 'planDefinition', 'userType', 'userLanguage', 'userTaskContext', 'setting', 'settingContext'];

function text(p: ParametersParameter): string | undefined {
  return p.valueString ?? p.valueReference?.reference ?? p.valueUri ?? p.valueCanonical ?? p.valueCode ?? p.valueCodeableConcept?.text ?? p.valueCodeableConcept?.coding?.[0]?.code;
}

function values(req: FhirRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, v: string | undefined) => {
    if (v !== undefined) out.set(name, [...(out.get(name) ?? []), v]);
  };
  for (const [k, v] of req.params) if (KNOWN.includes(k)) add(k, v);
  const body = req.body as Parameters | undefined;
  if (body !== undefined) {
    if (body?.resourceType !== 'Parameters') throw errors.badRequest('The body of $apply must be a Parameters resource', 'Parameters', 'HUB-0444');
    for (const p of body.parameter ?? []) {
      if (p.name === 'planDefinition') throw errors.notSupported('The planDefinition parameter is not supported; give the url of a stored PlanDefinition');
      if (KNOWN.includes(p.name ?? '')) add(p.name!, text(p));
    }
  }
  return out;
}

/** A reference parameter `Type/id` whose type is one of `types`; undefined when absent. */
function reference(all: Map<string, string[]>, name: string, types: string[]): string | undefined {
  const list = all.get(name) ?? [];
  if (list.length > 1) throw errors.badRequest(`$apply takes at most one ${name}`, name, 'HUB-0444');
  if (list.length === 0) return undefined;
  const m = REF.exec(list[0]);
  if (!m || !types.includes(m[1])) throw errors.badRequest(`${name} must be a reference to ${types.join(' or ')} (Type/id), not "${list[0]}"`, name, 'HUB-0444');
  return list[0];
}

export function applyParams(req: FhirRequest): ApplyParams {
  const all = values(req);
  const subjects = all.get('subject') ?? [];
  if (subjects.length === 0) throw errors.badRequest('$apply needs a subject: the Patient the plan is for', 'subject', 'HUB-0444');
  if (subjects.length > 1) throw errors.badRequest('$apply takes one subject here (one CarePlan per call)', 'subject', 'HUB-0444');
  const subject = reference(all, 'subject', ['Patient'])!;
  const [type, id] = subject.split('/');
  return {
    subject: { type, id },
    practitioner: reference(all, 'practitioner', ['Practitioner', 'PractitionerRole']),
    organization: reference(all, 'organization', ['Organization']),
    encounter: reference(all, 'encounter', ['Encounter']),
    url: all.get('url')?.[0],
    setting: all.get('setting')?.[0],
  };
}
