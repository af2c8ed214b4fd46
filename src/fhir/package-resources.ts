// Conformance resources of the loaded FHIR packages (FHIR R4 §2.13 packages; §3.1.0 read/search) stored
// once per package version, so that StructureDefinition, ValueSet, CodeSystem, SearchParameter and
// ImplementationGuide are readable and searchable by url, name and version like any resource — and
// read-only (package-origin.ts). Their SearchParameters are served, not used for search: several clash
// with base R4 ones (Slot.start, List.source) and with each other.
import { createHash } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { FhirPackage, PackageRegistry } from '../conformance/packages';
import type { Queryable } from '../store/db';
import { writeVersions, type VersionWrite } from '../store/resource-store';
import { ID_PATTERN } from './definitions';
import type { HubContext } from './hub-context';
import { ORIGIN_SYSTEM, SERVED_TYPES } from './package-origin';
import { indexResource } from './search/index-values';
import { stampMeta } from './versioning';

/** A stable id per package version and resource: readable when it fits, hashed when it does not. */
export function packageResourceId(pkg: FhirPackage, id: string): string {
  const readable = `${pkg.id}-${pkg.version}-${id}`.replace(/[^A-Za-z0-9\-.]/g, '-');
  if (ID_PATTERN.test(readable)) return readable;
  const hash = createHash('sha1').update(`${pkg.key}/${id}`).digest('hex').slice(0, 16);
  return `${readable.slice(0, 64 - hash.length - 1)}-${hash}`;
}

function tagged(pkg: FhirPackage, resource: Resource, lastUpdated: string): Resource {
  const tag = { system: ORIGIN_SYSTEM, code: 'package', display: pkg.key };
  const meta = { ...resource.meta, tag: [...(resource.meta?.tag ?? []), tag], source: `package:${pkg.key}` };
  return stampMeta({ ...resource, id: packageResourceId(pkg, resource.id ?? 'unnamed'), meta }, 1, lastUpdated);
}

function servedResources(pkg: FhirPackage): Resource[] {
  return pkg
    .index()
    .filter((e) => SERVED_TYPES.includes(e.resourceType))
    .map((e) => pkg.readJson(e.filename) as unknown as Resource | undefined)
    .filter((r): r is Resource => r !== undefined);
}

/** Package resources are stored as published: no validation, not through the API (no audit, no access rule). */
function packageWrite(ctx: HubContext, resource: Resource): VersionWrite {
  return {
    resType: resource.resourceType,
    id: resource.id!,
    version: 1,
    lastUpdated: resource.meta!.lastUpdated!,
    method: 'create',
    content: JSON.stringify(resource),
    rows: indexResource(ctx.registry, resource as unknown as Record<string, unknown>, ctx.config.baseUrl),
  };
}

async function storeOne(ctx: HubContext, tx: Queryable, pkg: FhirPackage): Promise<number> {
  // The row lock on loaded_package serializes replicas starting together: the second sees the first's row.
  const inserted = await tx.query('INSERT INTO loaded_package (id, version, resources) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING RETURNING id', [pkg.id, pkg.version]);
  if (inserted.rowCount === 0) return 0;
  const lastUpdated = ctx.now().toISOString();
  const resources = servedResources(pkg).map((r) => tagged(pkg, r, lastUpdated));
  // Two resources of one package with the same id (a publisher's mistake) keep the first.
  const byId = new Map<string, Resource>();
  for (const r of resources) if (!byId.has(`${r.resourceType}/${r.id}`)) byId.set(`${r.resourceType}/${r.id}`, r);
  await writeVersions(tx, [...byId.values()].map((r) => packageWrite(ctx, r)));
  await tx.query('UPDATE loaded_package SET resources = $3 WHERE id = $1 AND version = $2', [pkg.id, pkg.version, byId.size]);
  return byId.size;
}

/** Stores the conformance resources of every package not stored yet; returns how many were written. */
export async function storePackageResources(ctx: HubContext, registry: PackageRegistry): Promise<number> {
  const stored = await ctx.db.query<{ id: string; version: string }>('SELECT id, version FROM loaded_package');
  const known = new Set(stored.rows.map((r) => `${r.id}#${r.version}`));
  let written = 0;
  for (const pkg of registry.packages()) {
    if (known.has(pkg.key)) continue;
    written += await ctx.db.transaction((tx) => storeOne(ctx, tx, pkg));
  }
  return written;
}
