// Conformance resources that came from a FHIR package (FHIR R4 §2.13 packages) are read-only: the tag that marks them.
import type { Resource } from '@medplum/fhirtypes';
import type { StoredVersion } from '../store/resource-store';
import { errors } from './errors';

export const SERVED_TYPES = ['StructureDefinition', 'ValueSet', 'CodeSystem', 'SearchParameter', 'ImplementationGuide', 'PlanDefinition'];
export const ORIGIN_SYSTEM = 'https://fhir-hub.fr/CodeSystem/origin';

/** The package key (`id#version`) a resource was stored from, or undefined for a client's own resource. */
export function packageOrigin(resource: Resource | undefined): string | undefined {
  const tag = resource?.meta?.tag?.find((t) => t.system === ORIGIN_SYSTEM && t.code === 'package');
  return tag ? (tag.display ?? 'unknown') : undefined;
}

/** The origin of a stored version; only the served types are parsed, so other writes pay nothing. */
export function storedPackageOrigin(stored: StoredVersion | undefined): string | undefined {
  if (!stored?.content || stored.deleted || !SERVED_TYPES.includes(stored.resType)) return undefined;
  return packageOrigin(JSON.parse(stored.content) as Resource);
}

/** Refuses to update, patch or delete a resource that came from a package (405). */
export function assertWritable(stored: StoredVersion | undefined): void {
  const origin = storedPackageOrigin(stored);
  if (origin) throw errors.methodNotAllowed(`${stored!.resType}/${stored!.id} comes from the FHIR package ${origin} and is served read-only`);
}

/** A client may not mark its own resource as coming from a package (that would make it read-only). */
export function assertNotClaimingOrigin(resource: Resource): void {
  if (packageOrigin(resource)) {
    throw errors.unprocessableText(`The tag ${ORIGIN_SYSTEM}|package is reserved to resources the hub loads from FHIR packages`, `${resource.resourceType}.meta.tag`);
  }
}
