// Inputs of the terminology operations (FHIR R4 §3.1.0.13 extended operations): URL parameters, or a Parameters body on POST.
import type { Coding, CodeableConcept, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { Json, Resolved } from '../../conformance/terminology-service';
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { assertId } from '../interactions/body';
import { packageOrigin } from '../package-origin';
import type { FhirRequest } from '../request';

const HUB_BAD_PARAM = 'HUB-0444';

export class OperationInput {
  private readonly body: ParametersParameter[];

  constructor(private readonly req: FhirRequest, private readonly operation: string) {
    const body = req.body as Resource | undefined;
    if (body !== undefined && body !== null && req.method === 'POST' && body.resourceType !== 'Parameters') {
      throw errors.badRequest(`The body of ${operation} must be a Parameters resource, not ${String(body.resourceType)}`, undefined, HUB_BAD_PARAM);
    }
    this.body = (body as Parameters | undefined)?.parameter ?? [];
  }

  /** A primitive parameter, from the body first, then the URL. */
  string(name: string): string | undefined {
    const p = this.body.find((x) => x.name === name);
    if (p) {
      const v = p.valueString ?? p.valueUri ?? p.valueCode ?? p.valueCanonical ?? p.valueUrl ?? p.valueInteger ?? p.valueBoolean ?? p.valueDateTime;
      if (v === undefined) throw this.bad(name, `the parameter "${name}" of ${this.operation} needs a primitive value`);
      return String(v);
    }
    const q = this.req.params.find(([k]) => k === name);
    return q && q[1] !== '' ? q[1] : undefined;
  }

  /** A non-negative integer parameter (count, offset). */
  integer(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text)) throw this.bad(name, `the parameter "${name}" of ${this.operation} must be a non-negative integer, not "${text}"`);
    return Number(text);
  }

  resource(name: string): Json | undefined {
    return this.body.find((x) => x.name === name)?.resource as Json | undefined;
  }

  coding(name: string): Coding | undefined {
    const p = this.body.find((x) => x.name === name);
    if (p && !p.valueCoding) throw this.bad(name, `the parameter "${name}" of ${this.operation} must be a Coding`);
    return p?.valueCoding;
  }

  codeableConcept(name: string): CodeableConcept | undefined {
    const p = this.body.find((x) => x.name === name);
    if (p && !p.valueCodeableConcept) throw this.bad(name, `the parameter "${name}" of ${this.operation} must be a CodeableConcept`);
    return p?.valueCodeableConcept;
  }

  bad(name: string, text: string) {
    return errors.badRequest(text.charAt(0).toUpperCase() + text.slice(1), name, HUB_BAD_PARAM);
  }
}

/**
 * The value set an operation works on: the stored instance (`ValueSet/[id]/$op`), the `valueSet` parameter,
 * or `url` (with `valueSetVersion`) among the value sets the hub holds. 400 when none is given, 404 when not held.
 */
export async function targetValueSet(ctx: HubContext, req: FhirRequest, input: OperationInput, tx?: Queryable): Promise<Resolved> {
  const [, id] = req.path;
  if (id && !id.startsWith('$')) {
    assertId(id);
    const stored = await readCurrent(tx ?? ctx.db, 'ValueSet', id);
    if (!stored || stored.deleted) throw errors.notFound(`ValueSet/${id} does not exist`);
    const resource = JSON.parse(stored.content!) as Json;
    // A package's value set resolves its references within that package, as its publisher saw them.
    const fromPackage = packageOrigin(resource as unknown as Resource) && typeof resource.url === 'string' && typeof resource.version === 'string';
    return (fromPackage && ctx.terminology.valueSet(`${resource.url}|${resource.version}`)) || { resource };
  }
  const inline = input.resource('valueSet');
  if (inline) {
    if (inline.resourceType !== 'ValueSet') throw input.bad('valueSet', 'the parameter "valueSet" must be a ValueSet');
    return { resource: inline };
  }
  const url = input.string('url');
  if (!url) throw input.bad('url', 'give the value set: the parameter "url" (or "valueSet" in a Parameters body, or call ValueSet/[id]/$op)');
  const version = input.string('valueSetVersion');
  const canonical = version && !url.includes('|') ? `${url}|${version}` : url;
  const found = ctx.terminology.valueSet(canonical);
  if (!found) throw errors.notFound(`The hub does not hold the value set ${canonical}`);
  return found;
}
