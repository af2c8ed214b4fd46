// ValueSet/$validate-code (FHIR R4 OperationDefinition ValueSet-validate-code): url | valueSet | ValueSet/[id], and one of
// code (+system, display), coding or codeableConcept; the answer is Parameters { result, message?, display? }.
// When the hub cannot tell (the code's system, or an imported value set, is not held) it does not answer result=false:
// it answers 422 with an OperationOutcome (not-supported) saying why the code cannot be checked.
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import type { CodeCheck, CodingInput } from '../../conformance/terminology-service';
import type { Queryable } from '../../store/db';
import { errors, issue } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse } from '../request';
import { OperationInput, targetValueSet } from './terminology-params';

function codings(input: OperationInput): CodingInput[] {
  const code = input.string('code');
  const coding = input.coding('coding');
  const concept = input.codeableConcept('codeableConcept');
  if ([code, coding, concept].filter((x) => x !== undefined).length > 1) throw input.bad('code', 'give only one of "code", "coding" and "codeableConcept"');
  if (code !== undefined) return [{ system: input.string('system'), code, display: input.string('display') }];
  const list = coding ? [coding] : (concept?.coding ?? []);
  if (!list.length) throw input.bad('code', 'give the code to check: the parameter "code" (with "system"), or "coding" or "codeableConcept" in a Parameters body');
  for (const c of list) if (!c.code) throw input.bad(coding ? 'coding' : 'codeableConcept', 'a Coding to check has no code');
  return list.map((c) => ({ system: c.system, code: c.code!, display: c.display }));
}

/** A CodeableConcept is valid when one of its codings is; it cannot be checked when none is and one cannot be checked. */
function combine(checks: CodeCheck[]): CodeCheck {
  const valid = checks.find((c) => 'result' in c && c.result);
  if (valid) return valid;
  const unknown = checks.filter((c): c is { unknown: string } => 'unknown' in c);
  if (unknown.length) return { unknown: unknown.map((u) => u.unknown).join('; ') };
  const messages = checks.map((c) => ('message' in c ? c.message : undefined)).filter(Boolean);
  const display = checks.map((c) => ('display' in c ? c.display : undefined)).find(Boolean);
  return { result: false, message: messages.join('; '), display };
}

export async function validateCodeOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const input = new OperationInput(req, '$validate-code');
  const list = codings(input);
  const { resource: vs, context } = await targetValueSet(ctx, req, input, tx);
  const check = combine(list.map((c) => ctx.terminology.validateCode(vs, context, c)));
  if ('unknown' in check) throw errors.unprocessable([issue({ severity: 'error', code: 'not-supported', text: check.unknown })]);
  const parameter: ParametersParameter[] = [{ name: 'result', valueBoolean: check.result }];
  if (check.message) parameter.push({ name: 'message', valueString: check.message });
  if (check.display) parameter.push({ name: 'display', valueString: check.display });
  const resource: Parameters = { resourceType: 'Parameters', parameter };
  return { status: 200, resource, headers: {} };
}
