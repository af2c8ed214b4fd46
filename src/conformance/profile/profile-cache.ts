// Resolution and compilation of profiles by canonical, once per (package context, canonical).
import type { PackageRegistry } from '../packages/registry';
import { compileSnapshot } from './compile';
import type { CompiledProfile, Json, PackageContext } from './model';
import { generateSnapshot } from './snapshot';

export class ProfileCache {
  private readonly byLookup = new Map<string, CompiledProfile | null>();
  private readonly byDefinition = new Map<string, CompiledProfile>();

  constructor(readonly registry: PackageRegistry) {}

  /** The compiled profile for `url` or `url|version` as seen from `ctx`, or undefined when not held. */
  get(canonical: string, ctx?: PackageContext): CompiledProfile | undefined {
    const key = `${ctx?.key ?? ''}|${canonical}`;
    let found = this.byLookup.get(key);
    if (found === undefined) {
      found = this.load(canonical, ctx) ?? null;
      this.byLookup.set(key, found);
    }
    return found ?? undefined;
  }

  private load(canonical: string, ctx?: PackageContext): CompiledProfile | undefined {
    const resolved = this.registry.resolve(canonical, ctx);
    const sd = resolved?.resource;
    if (!sd || sd.resourceType !== 'StructureDefinition') return undefined;
    const key = `${resolved!.pkg.key}|${String(sd.url)}|${String(sd.version ?? '')}`;
    let profile = this.byDefinition.get(key);
    if (!profile) {
      const withSnapshot = (sd.snapshot as Json | undefined) ? sd : generateSnapshot(sd, this.registry, resolved!.pkg);
      profile = compileSnapshot(withSnapshot, resolved!.pkg);
      this.byDefinition.set(key, profile);
    }
    return profile;
  }
}
