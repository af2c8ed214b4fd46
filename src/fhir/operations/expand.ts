// ValueSet/$expand (FHIR R4 OperationDefinition ValueSet-expand): url | valueSet | ValueSet/[id], with filter, count, offset.
// Only complete expansions are returned: a value set with a part the hub cannot resolve is a 422 saying which and why.
import crypto from 'node:crypto';
import type { ValueSet, ValueSetExpansionParameter } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { errors, issue } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse } from '../request';
import { OperationInput, targetValueSet } from './terminology-params';

const norm = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

export async function expandOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const input = new OperationInput(req, '$expand');
  const filter = input.string('filter');
  const count = input.integer('count');
  const offset = input.integer('offset') ?? 0;
  const { resource: vs, context } = await targetValueSet(ctx, req, input, tx);
  const name = String(vs.url ?? `ValueSet/${String(vs.id)}`);
  const exp = ctx.terminology.expand(vs, context);
  if (exp.missing.length || !exp.certain) {
    const why = exp.missing.map((g) => issue({ severity: 'error', code: 'not-supported', text: `${name} cannot be expanded completely: ${g.reason}` }));
    if (!exp.certain) why.push(issue({ severity: 'error', code: 'not-supported', text: `${name} cannot be expanded completely: an exclude of the value set cannot be resolved by the hub` }));
    throw errors.unprocessable(why);
  }
  // The text filter: every word must start a word of the display, or match the start of the code (accents and case ignored).
  const words = filter ? norm(filter).split(/\s+/).filter(Boolean) : [];
  const selected = exp.contains.filter((e) => {
    if (!words.length) return true;
    const display = norm(e.display ?? '').split(/[^\p{L}\p{N}]+/u);
    return words.every((w) => norm(e.code).startsWith(w) || display.some((d) => d.startsWith(w)));
  });
  const page = selected.slice(offset, count === undefined ? undefined : offset + count);
  const parameter: ValueSetExpansionParameter[] = [];
  if (filter !== undefined) parameter.push({ name: 'filter', valueString: filter });
  if (count !== undefined) parameter.push({ name: 'count', valueInteger: count });
  if (offset) parameter.push({ name: 'offset', valueInteger: offset });
  const result: ValueSet = {
    resourceType: 'ValueSet',
    ...(typeof vs.id === 'string' ? { id: vs.id } : {}),
    url: vs.url as string | undefined,
    version: vs.version as string | undefined,
    name: vs.name as string | undefined,
    title: vs.title as string | undefined,
    status: (vs.status as ValueSet['status']) ?? 'active',
    expansion: {
      identifier: `urn:uuid:${crypto.randomUUID()}`,
      timestamp: ctx.now().toISOString(),
      total: selected.length,
      ...(count !== undefined || offset ? { offset } : {}),
      ...(parameter.length ? { parameter } : {}),
      // FHIR has no empty arrays: count=0 (just the total) leaves contains out.
      ...(page.length ? { contains: page.map((e) => ({ system: e.system, ...(e.version ? { version: e.version } : {}), code: e.code, ...(e.display ? { display: e.display } : {}) })) } : {}),
    },
  };
  return { status: 200, resource: JSON.parse(JSON.stringify(result)) as ValueSet, headers: {} };
}
