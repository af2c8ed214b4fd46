// Turns slim snapshots into TypeDefs, lazily and once per type.
import { baseDefinitions, type SlimElement, type SlimSd } from './definitions';
import { Kind, newTypeDef, type ElementDef, type TypeDef, type TypeRef } from './model';
import { isPrimitiveType, PRIMITIVE_CHECKS } from './primitives';

const resourceCache = new Map<string, TypeDef | null>();
const typeCache = new Map<string, TypeDef>();

/** TypeDef of a concrete R4 resource type, or undefined for unknown/abstract names. */
export function resourceDef(type: string): TypeDef | undefined {
  let def = resourceCache.get(type);
  if (def === undefined) {
    const sd = baseDefinitions().resources.get(type);
    def = sd ? compile(sd) : null;
    resourceCache.set(type, def);
  }
  return def ?? undefined;
}

/** TypeDef of a complex datatype, optionally constrained by a core profile (SimpleQuantity...). */
export function complexDef(code: string, profile?: string): TypeDef {
  const key = profile ?? code;
  let def = typeCache.get(key);
  if (!def) {
    const defs = baseDefinitions();
    const sd = (profile && defs.profiles.get(profile)) || defs.types.get(code);
    if (!sd) throw new Error(`No StructureDefinition for datatype ${code}`);
    def = compile(sd);
    typeCache.set(key, def);
  }
  return def;
}

/** Resolves the TypeDef behind a complex or inline TypeRef, compiling it on first use. */
export function typeDefOf(ref: TypeRef): TypeDef {
  if (!ref.def) ref.def = complexDef(ref.code, ref.profile);
  return ref.def;
}

function parentPath(path: string): string {
  return path.slice(0, path.lastIndexOf('.'));
}

function compile(sd: SlimSd): TypeDef {
  const elements = sd.elements;
  const rootPath = elements[0].path;
  const hasChildren = new Set<string>();
  for (const e of elements) hasChildren.add(parentPath(e.path));

  const byPath = new Map<string, TypeDef>();
  const root = newTypeDef(sd.type);
  byPath.set(rootPath, root);
  const pendingRefs: [TypeRef, string][] = [];

  for (let i = 1; i < elements.length; i++) {
    const e = elements[i];
    const parent = byPath.get(parentPath(e.path));
    if (!parent) continue; // child of a slice or of an element we skipped
    const rawName = e.path.slice(e.path.lastIndexOf('.') + 1);
    const choice = rawName.endsWith('[x]');
    const name = choice ? rawName.slice(0, -3) : rawName;
    const el: ElementDef = {
      name,
      min: e.min,
      max: e.max === '*' ? Infinity : Number(e.max),
      isArray: e.baseMax !== '1' && e.baseMax !== '0',
      choice,
      types: [],
      underscore: false,
    };
    if (e.requiredValueSet) el.valueSet = e.requiredValueSet;

    if (e.contentReference) {
      const ref: TypeRef = { code: 'BackboneElement', kind: Kind.Inline, jsonName: name };
      pendingRefs.push([ref, e.contentReference.slice(e.contentReference.indexOf('#') + 1)]);
      el.types.push(ref);
    } else if (hasChildren.has(e.path)) {
      const def = newTypeDef(e.path);
      byPath.set(e.path, def);
      el.types.push({ code: e.types[0]?.code ?? 'BackboneElement', kind: Kind.Inline, jsonName: name, def });
    } else {
      for (const t of e.types) el.types.push(typeRef(e, t.code, t.profile, choice ? name : undefined));
      el.underscore = el.types.some((t) => t.kind === Kind.Primitive && t.code !== 'xhtml') && !isSystemId(e);
    }

    for (const t of el.types) {
      if (el.valueSet && (t.code === 'code' || t.code === 'Coding' || t.code === 'CodeableConcept')) t.bound = t.code;
      parent.byJson.set(t.jsonName, { el, type: t });
    }
    if (el.min > 0) parent.required.push(el);
  }

  for (const [ref, target] of pendingRefs) {
    const def = byPath.get(target);
    if (!def) throw new Error(`Unresolved contentReference #${target} in ${sd.url}`);
    ref.def = def;
  }
  return root;
}

/** Element.id and Resource.id are plain JSON strings: no `_id` sibling. */
function isSystemId(e: SlimElement): boolean {
  return e.types.length === 1 && e.types[0].system && e.path.endsWith('.id');
}

function typeRef(e: SlimElement, code: string, profile: string | undefined, choiceBase?: string): TypeRef {
  const jsonName = choiceBase ? choiceBase + code[0].toUpperCase() + code.slice(1) : e.path.slice(e.path.lastIndexOf('.') + 1);
  if (isPrimitiveType(code)) return { code, kind: Kind.Primitive, jsonName, check: PRIMITIVE_CHECKS[code] };
  if (code === 'Resource') return { code, kind: Kind.Resource, jsonName };
  const ref: TypeRef = { code, kind: Kind.Complex, jsonName };
  if (profile) ref.profile = profile;
  return ref;
}
