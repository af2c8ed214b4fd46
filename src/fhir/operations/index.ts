// The extended operations the hub implements (FHIR R4 §3.1.0.13 "extended operations on the RESTful API"):
// routed by name, level and method, and advertised in the CapabilityStatement from this one list.
import type { Queryable } from '../../store/db';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse, HttpMethod } from '../request';
import { compositionDocumentOperation } from './composition-document';
import { expandOperation } from './expand';
import { lookupOperation } from './lookup';
import { patientEverythingOperation } from './patient-everything';
import { patientSummaryOperation } from './patient-summary';
import { planDefinitionApplyOperation } from './plan-definition-apply';
import { validateOperation } from './validate';
import { validateCodeOperation } from './validate-code';

type Run = (ctx: HubContext, req: FhirRequest, tx?: Queryable) => Promise<FhirResponse>;

export interface OperationRoute {
  /** Without the `$`. */
  name: string;
  /** Canonical URL of its OperationDefinition. */
  definition: string;
  level: 'type' | 'instance';
  /** The resource types it applies to; undefined: all. */
  types?: string[];
  methods: HttpMethod[];
  run: Run;
}

const operations: OperationRoute[] = [
  { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate', level: 'type', methods: ['POST'], run: validateOperation },
  { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate', level: 'instance', methods: ['GET', 'POST'], run: validateOperation },
  // Terminology over what the hub holds (base R4 and the loaded packages): src/conformance/terminology-service.ts.
  { name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand', level: 'type', types: ['ValueSet'], methods: ['GET', 'POST'], run: expandOperation },
  { name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand', level: 'instance', types: ['ValueSet'], methods: ['GET', 'POST'], run: expandOperation },
  { name: 'validate-code', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code', level: 'type', types: ['ValueSet'], methods: ['GET', 'POST'], run: validateCodeOperation },
  { name: 'validate-code', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code', level: 'instance', types: ['ValueSet'], methods: ['GET', 'POST'], run: validateCodeOperation },
  { name: 'lookup', definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup', level: 'type', types: ['CodeSystem'], methods: ['GET', 'POST'], run: lookupOperation },
  // Documents and the patient record (issue 7): src/workflows/summary/.
  { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything', level: 'instance', types: ['Patient'], methods: ['GET'], run: patientEverythingOperation },
  { name: 'summary', definition: 'http://hl7.org/fhir/uv/ips/OperationDefinition/summary', level: 'instance', types: ['Patient'], methods: ['GET', 'POST'], run: patientSummaryOperation },
  { name: 'document', definition: 'http://hl7.org/fhir/OperationDefinition/Composition-document', level: 'instance', types: ['Composition'], methods: ['GET', 'POST'], run: compositionDocumentOperation },
  // Pathway templates (issue 8): a CarePlan and its Tasks from a PlanDefinition, src/workflows/care-plans/.
  { name: 'apply', definition: 'http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply', level: 'instance', types: ['PlanDefinition'], methods: ['POST'], run: planDefinitionApplyOperation },
  { name: 'apply', definition: 'http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply', level: 'type', types: ['PlanDefinition'], methods: ['POST'], run: planDefinitionApplyOperation },
];

/** Adds operations implemented outside fhir/ (e.g. the subscriptions' $status and $events). */
export function registerOperation(route: OperationRoute): void {
  if (!operations.some((o) => o.name === route.name && o.level === route.level && o.types?.join() === route.types?.join())) operations.push(route);
}

/** The operations that apply to a resource type, for the CapabilityStatement (one entry per name). */
export function operationsOf(type: string): { name: string; definition: string }[] {
  const out = new Map<string, string>();
  for (const o of operations) if (!o.types || o.types.includes(type)) out.set(o.name, o.definition);
  return [...out].map(([name, definition]) => ({ name, definition }));
}

/** The handler of `[type]/$name` or `[type]/[id]/$name`: 501 for an unknown operation, 405 for a wrong method. */
export function operationFor(req: FhirRequest, type: string, level: 'type' | 'instance', segment: string): Run {
  const name = segment.slice(1);
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const candidates = operations.filter((o) => o.name === name && o.level === level && (!o.types || o.types.includes(type)));
  if (candidates.length === 0) throw errors.notSupported(`Operation ${segment} is not supported on ${level === 'type' ? type : `${type}/[id]`}`);
  const found = candidates.find((o) => o.methods.includes(method));
  if (!found) throw errors.methodNotAllowed(`${req.method} is not allowed for ${segment}; use ${candidates[0].methods.join(' or ')}`);
  return found.run;
}
