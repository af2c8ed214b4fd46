// CodeSystem/$lookup (FHIR R4 OperationDefinition CodeSystem-lookup): system + code (+version), or coding;
// the answer is Parameters { name, version?, display, designation*, property* } with parent and child where known.
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import type { Json } from '../../conformance/terminology-service';
import type { Queryable } from '../../store/db';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse } from '../request';
import { OperationInput } from './terminology-params';

const VALUE_KEYS = ['valueCode', 'valueCoding', 'valueString', 'valueInteger', 'valueBoolean', 'valueDateTime', 'valueDecimal'];

function designation(d: Json): ParametersParameter {
  const part: ParametersParameter[] = [];
  if (typeof d.language === 'string') part.push({ name: 'language', valueCode: d.language });
  if (d.use) part.push({ name: 'use', valueCoding: d.use as ParametersParameter['valueCoding'] });
  part.push({ name: 'value', valueString: String(d.value) });
  return { name: 'designation', part };
}

function property(code: string, value: Record<string, unknown>): ParametersParameter {
  return { name: 'property', part: [{ name: 'code', valueCode: code }, { name: 'value', ...value } as ParametersParameter] };
}

export async function lookupOperation(ctx: HubContext, req: FhirRequest, _tx?: Queryable): Promise<FhirResponse> {
  const input = new OperationInput(req, '$lookup');
  const coding = input.coding('coding');
  const code = coding?.code ?? input.string('code');
  const system = coding?.system ?? input.string('system');
  const version = coding?.version ?? input.string('version');
  if (!code) throw input.bad(coding ? 'coding' : 'code', 'give the code to look up: the parameter "code" (with "system"), or "coding" in a Parameters body');
  if (!system) throw input.bad(coding ? 'coding' : 'system', 'give the code system of the code: the parameter "system"');
  const found = ctx.terminology.lookup(system, code, version);
  if (!found.found) throw errors.notFound(found.message);
  const { codeSystem: cs, concept, parents, children } = found;
  const parameter: ParametersParameter[] = [{ name: 'name', valueString: String(cs.name ?? cs.title ?? cs.url) }];
  if (typeof cs.version === 'string') parameter.push({ name: 'version', valueString: cs.version });
  parameter.push({ name: 'display', valueString: String(concept.display ?? concept.code) });
  for (const d of (concept.designation ?? []) as Json[]) if (typeof d.value === 'string') parameter.push(designation(d));
  if (typeof concept.definition === 'string') parameter.push(property('definition', { valueString: concept.definition }));
  for (const p of parents) parameter.push(property('parent', { valueCode: p }));
  for (const c of children) parameter.push(property('child', { valueCode: c }));
  for (const p of (concept.property ?? []) as Json[]) {
    if (p.code === 'parent' || p.code === 'child' || p.code === 'subsumedBy' || typeof p.code !== 'string') continue;
    const key = VALUE_KEYS.find((k) => p[k] !== undefined);
    if (key) parameter.push(property(p.code, { [key]: p[key] }));
  }
  const resource: Parameters = { resourceType: 'Parameters', parameter };
  return { status: 200, resource, headers: {} };
}
