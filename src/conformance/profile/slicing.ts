// Slice assignment by discriminators (FHIR R4 §5.1.0.10: value, pattern, type, profile, exists) and
// the slicing rules open / closed / openAtEnd and ordered.
import type { Json, PackageContext, ProfileNode, Slicing } from './model';
import { deepEqual, matchesPattern, navigate, pathSegments, type Resolver } from './values';

/** One occurrence of an element in the instance. */
export interface Item {
  value: unknown;
  /** FHIR type of the value (choice suffix, resourceType, or the element's single type). */
  type: string;
  /** `_name` sibling of a primitive, when present. */
  under?: Json;
  path: string;
}

export interface SliceMatcher {
  /** Whether a value conforms to a profile (for `profile` discriminators and slicing without discriminators). */
  conforms(value: unknown, profile: string, ctx: PackageContext): boolean;
  /** Whether an item conforms to a slice definition. */
  conformsToSlice(item: Item, slice: ProfileNode, ctx: PackageContext): boolean;
  resolve: Resolver;
}

const OF_TYPE = /^ofType\((.+)\)$/;
const EXTENSION_CALL = /^extension\(['"](.+)['"]\)$/;

function extensionUrl(node: ProfileNode): string | undefined {
  const url = node.children.find((c) => c.name === 'url');
  if (typeof url?.fixed === 'string') return url.fixed;
  return node.types.find((t) => t.code === 'Extension')?.profiles[0]?.split('|')[0];
}

/** The element a discriminator path designates inside a slice definition. */
export function nodeAt(slice: ProfileNode, segments: string[]): ProfileNode | undefined {
  let node: ProfileNode | undefined = slice;
  for (const seg of segments) {
    if (!node) return undefined;
    if (seg === 'resolve()' || OF_TYPE.test(seg)) continue;
    const ext = EXTENSION_CALL.exec(seg);
    if (ext) {
      const extension: ProfileNode | undefined = node.children.find((c) => c.name === 'extension');
      node = extension?.slices.find((s) => extensionUrl(s) === ext[1]);
      continue;
    }
    const name: string = seg.endsWith('[x]') ? seg.slice(0, -3) : seg;
    node = node.children.find((c) => c.name === name);
  }
  return node;
}

interface Expected {
  values: unknown[];
  exact: boolean;
}

/**
 * Fixed or pattern values a slice requires at a discriminator path: from the element itself, from an
 * ancestor's pattern, or from required sub-slices on the way (`code.coding:SBPCode.code`).
 */
export function expectedAt(slice: ProfileNode, segments: string[]): Expected | undefined {
  const values: unknown[] = [];
  let exact = true;
  let nodes: ProfileNode[] = [slice];
  for (let i = 0; nodes.length; i++) {
    const next: ProfileNode[] = [];
    for (const node of nodes) {
      const v = node.fixed ?? node.pattern;
      if (v !== undefined) {
        values.push(...navigate(v, segments.slice(i)));
        exact &&= node.fixed !== undefined;
        continue;
      }
      if (i === segments.length) continue;
      const seg = segments[i];
      if (seg === 'url' && node.types.some((t) => t.code === 'Extension')) {
        const url = extensionUrl(node);
        if (url) values.push(url);
        continue;
      }
      const child = nodeAt(node, [seg]);
      if (!child) continue;
      next.push(child);
      if (child !== node) for (const sub of child.slices) if (sub.min > 0) next.push(sub);
    }
    nodes = next;
  }
  return values.length ? { values, exact } : undefined;
}

function resourceTypeOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && typeof (value as Json).resourceType === 'string' ? ((value as Json).resourceType as string) : undefined;
}

/**
 * FHIR types of the values a `type` discriminator path reaches: a choice element's from its JSON key
 * (`valueQuantity` → Quantity), a resource's from resourceType, else the element's one declared type.
 */
export function typesAt(item: Item, segs: string[], target: ProfileNode, resolve: Resolver): string[] {
  if (segs.length === 0) return [item.type];
  const last = segs[segs.length - 1];
  if (!/^[A-Za-z][A-Za-z0-9]*(\[x\])?$/.test(last)) {
    return navigate(item.value, segs, resolve).map(resourceTypeOf).filter((t): t is string => t !== undefined);
  }
  const name = last.endsWith('[x]') ? last.slice(0, -3) : last;
  const out: string[] = [];
  for (const parent of navigate(item.value, segs.slice(0, -1), resolve)) {
    if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) continue;
    const obj = parent as Json;
    if (obj[name] !== undefined) {
      for (const v of Array.isArray(obj[name]) ? (obj[name] as unknown[]) : [obj[name]]) {
        const t = resourceTypeOf(v) ?? (!target.choice && target.types.length === 1 ? target.types[0].code : undefined);
        if (t) out.push(t);
      }
      continue;
    }
    for (const key in obj) {
      if (key.startsWith(name) && key.length > name.length && key.charCodeAt(name.length) < 91) out.push(key.slice(name.length));
    }
  }
  return out;
}

function matchesDiscriminators(item: Item, slice: ProfileNode, slicing: Slicing, m: SliceMatcher, ctx: PackageContext): boolean {
  for (const d of slicing.discriminators) {
    const segs = pathSegments(d.path);
    const values = navigate(item.value, segs, m.resolve);
    switch (d.type) {
      case 'value':
      case 'pattern': {
        const expected = expectedAt(slice, segs);
        if (!expected || expected.values.length === 0) return false;
        const ok = values.some((v) => expected.values.some((e) => (expected.exact ? deepEqual(v, e) : matchesPattern(v, e))));
        if (!ok) return false;
        break;
      }
      case 'exists': {
        const target = nodeAt(slice, segs);
        if (!target) return false;
        if (target.min > 0 && values.length === 0) return false;
        if (target.max === 0 && values.length > 0) return false;
        break;
      }
      case 'type': {
        // A JSON key carries the type with a capital (`valueString`): compare codes case-insensitively.
        const target = nodeAt(slice, segs);
        const actual = target ? typesAt(item, segs, target, m.resolve).map((t) => t.toLowerCase()) : [];
        if (!target || !actual.length || !actual.every((a) => target.types.some((t) => t.code.toLowerCase() === a))) return false;
        break;
      }
      case 'profile': {
        const target = nodeAt(slice, segs);
        const viaResolve = segs[segs.length - 1] === 'resolve()';
        const profiles = target?.types.flatMap((t) => (viaResolve ? t.targetProfiles : t.profiles)) ?? [];
        if (!profiles.length || !values.some((v) => profiles.some((p) => m.conforms(v, p, ctx)))) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

/** Index of the slice each item belongs to (-1: none), first matching slice wins. */
export function assignSlices(items: Item[], node: ProfileNode, m: SliceMatcher, ctx: PackageContext): number[] {
  const slicing = node.slicing!;
  return items.map((item) => {
    for (let s = 0; s < node.slices.length; s++) {
      const slice = node.slices[s];
      const ok = slicing.discriminators.length ? matchesDiscriminators(item, slice, slicing, m, ctx) : m.conformsToSlice(item, slice, ctx);
      if (ok) return s;
    }
    return -1;
  });
}
