// capabilities (FHIR R4 §3.1.0.12): a CapabilityStatement stating exactly what the hub implements.
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import type { HubContext } from '../hub-context';
import type { FhirResponse } from '../request';
import { resourceTypes } from '../definitions';
import { operationsOf } from '../operations';

const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const;

function build(ctx: HubContext): CapabilityStatement {
  const resource: CapabilityStatementRestResource[] = [...resourceTypes()].sort().map((type) => ({
    type: type as CapabilityStatementRestResource['type'],
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'not-supported',
    conditionalUpdate: true,
    conditionalDelete: 'single',
    referencePolicy: ['literal', 'logical'],
    interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
    searchInclude: ['*'],
    searchRevInclude: ['*'],
    // What a search accepts: every indexed parameter, composites whose components resolve.
    searchParam: ctx.registry
      .all(type)
      .filter((d) => d.type !== 'special' && (d.type !== 'composite' || ctx.registry.componentsOf(d) !== null))
      .map((d) => ({ name: d.code, type: d.type, definition: d.url })),
    operation: operationsOf(type),
    // A type with its own store (AuditEvent) states what that store does.
    ...ctx.backends?.[type]?.capability,
  }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'fhir-hub', version: process.env.npm_package_version ?? '0.1.0' },
    implementation: { description: 'FHIR hub for French care coordination', url: ctx.config.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        ...(ctx.restExtensions?.length ? { extension: ctx.restExtensions } : {}),
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
      },
    ],
  };
}

export async function capabilities(ctx: HubContext): Promise<FhirResponse> {
  // Built per request (~2 ms): the hub's own base URL, and search parameters registered since start-up.
  return { status: 200, resource: build(ctx), headers: {} };
}
