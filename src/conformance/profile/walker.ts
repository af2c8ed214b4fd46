// Validation of an instance against a compiled profile (FHIR R4 §2.4 ElementDefinition semantics):
// cardinality, types, fixed/pattern, bindings, invariants, references, type profiles, slicing.
import type { Issue } from '../issue';
import { checkBinding, checkReference, type CheckEnv } from './element-checks';
import { evaluateInvariant, NATIVE_INVARIANTS } from './invariants';
import type { CompiledProfile, ElementType, Json, PackageContext, ProfileNode } from './model';
import type { ProfileCache } from './profile-cache';
import { makeResolver } from './resolver';
import { assignSlices, type Item, type SliceMatcher } from './slicing';
import { deepEqual, matchesPattern, type Resolver } from './values';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export interface RunEnv extends Omit<CheckEnv, 'report'> {
  profiles: ProfileCache;
  /** %resource of FHIRPath invariants: the resource being validated. */
  root: Json;
  /** %rootResource: the container of a contained resource, else the resource itself. */
  rootResource: Json;
  bundle?: Json;
  resolve: Resolver;
  inBundle: boolean;
}

export class ProfileRun implements SliceMatcher {
  readonly issues: Issue[] = [];
  private readonly check: CheckEnv;
  private readonly conformance = new Map<unknown, Map<string, boolean>>();

  constructor(private readonly env: RunEnv) {
    this.check = { ...env, report: (i) => this.issues.push(i) };
  }

  get resolve(): Resolver {
    return this.env.resolve;
  }

  private error(code: string, path: string, diagnostics: string, severity: Issue['severity'] = 'error'): void {
    this.issues.push({ severity, code, expression: path, diagnostics });
  }

  /** Validates a resource or datatype value against a profile, reporting under `path`. */
  validate(value: unknown, profile: CompiledProfile, path: string): void {
    const isResource = isObject(value) && typeof value.resourceType === 'string';
    if (isResource && value.resourceType !== profile.type && profile.root.path === profile.type) {
      this.error('structure', path, `The resource is a ${String(value.resourceType)}, but profile ${profile.url} constrains ${profile.type}`);
      return;
    }
    if (isResource && value !== this.env.root) {
      // A nested resource (Bundle entry, contained): FHIRPath's %resource and references follow it.
      const bundle = this.env.root.resourceType === 'Bundle' ? this.env.root : this.env.bundle;
      const contained = path.includes('.contained[');
      const nested = new ProfileRun({ ...this.env, root: value, rootResource: contained ? this.env.root : value, bundle, resolve: makeResolver(value, bundle), inBundle: bundle !== undefined });
      nested.validate(value, profile, path);
      this.issues.push(...nested.issues);
      return;
    }
    this.item(profile.root, { value, type: profile.type, path }, profile.pkg, profile.type);
  }

  conforms(value: unknown, canonical: string, ctx: PackageContext): boolean {
    let byUrl = this.conformance.get(value);
    if (!byUrl) this.conformance.set(value, (byUrl = new Map()));
    let ok = byUrl.get(canonical);
    if (ok === undefined) {
      const profile = this.env.profiles.get(canonical, ctx);
      // A profile the hub does not hold cannot be disproved: count the value as matching, and say so.
      if (!profile) {
        ok = true;
        this.check.notHeld('profile', canonical, 'slicing');
      }
      else {
        const trial = new ProfileRun(this.env);
        trial.validate(value, profile, 'trial');
        ok = !trial.issues.some((i) => i.severity === 'error');
      }
      byUrl.set(canonical, ok);
    }
    return ok;
  }

  conformsToSlice(item: Item, slice: ProfileNode, ctx: PackageContext): boolean {
    const trial = new ProfileRun(this.env);
    trial.item(slice, item, ctx, undefined);
    return !trial.issues.some((i) => i.severity === 'error');
  }

  private item(node: ProfileNode, item: Item, ctx: PackageContext, typeBase: string | undefined): void {
    const { value, path } = item;
    const type = node.types.length === 1 && !node.choice ? node.types[0] : node.types.find((t) => t.code === item.type);
    if (node.types.length && !type && !node.types.some((t) => t.code === 'Resource' || t.code === 'DomainResource')) {
      this.error('structure', path, `Type ${item.type} is not allowed here: expected ${node.types.map((t) => t.code).join(' | ')}`);
      return;
    }
    if (value === null) {
      if (item.under && node.children.length) this.children(node, item.under, path, ctx);
      return;
    }
    if (node.fixed !== undefined && !deepEqual(value, node.fixed)) {
      this.error('value', path, `Value ${show(value)} does not equal the fixed value ${show(node.fixed)}`);
    }
    if (node.pattern !== undefined && !matchesPattern(value, node.pattern)) {
      this.error('value', path, `Value ${show(value)} does not match the pattern ${show(node.pattern)}`);
    }
    if (node.binding) checkBinding(this.check, node, item.type, value, path, ctx);
    if (type?.code === 'Reference' && isObject(value)) checkReference(this.check, type, value, path, ctx, this.env.resolve, this.env.inBundle);
    for (const c of node.constraints) {
      if (NATIVE_INVARIANTS.has(c.key)) continue;
      const base = typeBase ?? (node.path.includes('[x]') ? undefined : node.path);
      const r = evaluateInvariant(c, value, base, this.env.root, this.env.rootResource);
      if (r === 'fail') this.error('invariant', path, `Constraint failed: ${c.key}: '${c.human}' (${c.expression})`, c.severity);
    }
    if (type) this.typeProfiles(type, item, ctx);
    const obj = isObject(value) ? value : item.under;
    if (obj && node.children.length) this.children(node, obj, path, ctx);
  }

  /** A type's own profiles (fr-core-address on Address, an extension's definition...): the value must conform to one. */
  private typeProfiles(type: ElementType, item: Item, ctx: PackageContext): void {
    if (!type.profiles.length || !isObject(item.value)) return;
    const held = type.profiles.map((p) => ({ url: p, profile: this.env.profiles.get(p, ctx) }));
    const usable = held.filter((h) => h.profile);
    if (usable.length === 0) {
      this.check.notHeld('StructureDefinition', type.profiles[0], item.path);
      return;
    }
    if (usable.length === 1) {
      this.validate(item.value, usable[0].profile!, item.path);
      return;
    }
    if (!usable.some((h) => this.conforms(item.value, h.url, ctx))) this.validate(item.value, usable[0].profile!, item.path);
  }

  private children(node: ProfileNode, obj: Json, path: string, ctx: PackageContext): void {
    for (const child of node.children) {
      const items = collect(obj, child, path);
      const where = `${path}.${child.name}`;
      if (items.length < child.min) {
        this.error('required', where, `Element ${child.path} requires at least ${child.min} value(s), found ${items.length}`);
      }
      if (items.length > child.max) {
        this.error('structure', where, `Element ${child.path} allows at most ${child.max} value(s), found ${items.length}`);
      }
      if (child.slicing && child.slices.length) this.sliced(child, items, where, ctx);
      else for (const item of items) this.unslicedItem(child, item, ctx);
    }
  }

  private unslicedItem(node: ProfileNode, item: Item, ctx: PackageContext): void {
    this.item(node, item, ctx, undefined);
    if ((node.name === 'extension' || node.name === 'modifierExtension') && isObject(item.value)) this.extensionDefinition(item, ctx);
  }

  /** An extension not claimed by a slice is still checked against its own definition when the hub holds it. */
  private extensionDefinition(item: Item, ctx: PackageContext): void {
    const url = (item.value as Json).url;
    if (typeof url !== 'string') return;
    const def = this.env.profiles.get(url, ctx);
    if (def) this.validate(item.value, def, item.path);
    else this.check.notHeld('extension definition', url, item.path);
  }

  private sliced(node: ProfileNode, items: Item[], where: string, ctx: PackageContext): void {
    const slicing = node.slicing!;
    const assigned = assignSlices(items, node, this, ctx);
    const counts = new Array<number>(node.slices.length).fill(0);
    let lastSlice = -1;
    let seenUnmatched = false;
    items.forEach((item, i) => {
      const s = assigned[i];
      if (s < 0) {
        seenUnmatched = true;
        if (slicing.rules === 'closed') {
          this.error('structure', item.path, `This element does not match any slice of ${node.id}, and the slicing is closed`);
        }
        this.unslicedItem(node, item, ctx);
        return;
      }
      counts[s]++;
      if (slicing.rules === 'openAtEnd' && seenUnmatched) {
        this.error('structure', item.path, `Slice '${node.slices[s].sliceName}' comes after unsliced items, but ${node.id} is sliced openAtEnd`);
      }
      if (slicing.ordered && s < lastSlice) {
        this.error('structure', item.path, `Slice '${node.slices[s].sliceName}' is out of order: ${node.id} slices are ordered`);
      }
      lastSlice = Math.max(lastSlice, s);
      this.item(node.slices[s], item, ctx, undefined);
    });
    node.slices.forEach((slice, s) => {
      if (counts[s] < slice.min) {
        this.error('required', where, `Slice '${slice.sliceName}' of ${node.path} requires at least ${slice.min} matching value(s), found ${counts[s]}`);
      }
      if (counts[s] > slice.max) {
        this.error('structure', where, `Slice '${slice.sliceName}' of ${node.path} allows at most ${slice.max} value(s), found ${counts[s]}`);
      }
    });
  }
}

/** Occurrences of a child element in an object, with their FHIRPath (`name[i]` when the JSON is an array). */
function collect(obj: Json, child: ProfileNode, path: string): Item[] {
  const keys: [string, string][] = [];
  if (child.choice) {
    for (const key in obj) {
      if (key.startsWith(child.name) && key.length > child.name.length && key.charCodeAt(child.name.length) < 91) {
        const suffix = key.slice(child.name.length);
        const known = child.types.find((t) => t.code.toLowerCase() === suffix.toLowerCase());
        keys.push([key, known?.code ?? suffix[0].toLowerCase() + suffix.slice(1)]);
      }
    }
  } else if (obj[child.name] !== undefined || obj[`_${child.name}`] !== undefined) {
    keys.push([child.name, child.types[0]?.code ?? 'BackboneElement']);
  }
  const out: Item[] = [];
  for (const [key, type] of keys) {
    const main = obj[key];
    const under = obj[`_${key}`];
    const list = Array.isArray(main) ? main : main === undefined ? [] : [main];
    const unders = Array.isArray(under) ? under : under === undefined ? [] : [under];
    const array = Array.isArray(main) || Array.isArray(under);
    const n = Math.max(list.length, unders.length);
    for (let i = 0; i < n; i++) {
      const value = list[i] ?? null;
      const u = unders[i];
      if (value === null && !isObject(u)) continue;
      const itemType = isObject(value) && typeof value.resourceType === 'string' ? value.resourceType : type;
      out.push({ value, type: itemType, under: isObject(u) ? u : undefined, path: array ? `${path}.${key}[${i}]` : `${path}.${key}` });
    }
  }
  return out;
}
