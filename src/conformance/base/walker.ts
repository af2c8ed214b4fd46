// The validation walk: one pass over the instance's keys against compiled TypeDefs.
// The current FHIRPath is a stack of segments, joined only when an issue is reported.
import type { Issue } from '../issue';
import { complexDef, resourceDef, typeDefOf } from './compile';
import { Kind, type ElementDef, type Slot, type TypeDef, type TypeRef } from './model';
import { show } from './primitives';
import { checkBinding } from './bindings';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `type, cardinality m..n` for messages. */
function cardinality(el: ElementDef): string {
  const types = el.types.map((t) => (el.choice ? t.jsonName : t.code)).join(' | ');
  return `${types}, cardinality ${el.min}..${el.max === Infinity ? '*' : el.max}`;
}

export class Walker {
  readonly issues: Issue[] = [];
  /** Path segments: names (rendered `.name`) and array indexes (rendered `[i]`). */
  private readonly segs: (string | number)[] = [];

  constructor(private readonly root: string) {}

  path(extra?: string | number): string {
    let out = this.root;
    for (const s of this.segs) out += typeof s === 'number' ? `[${s}]` : `.${s}`;
    if (extra !== undefined) out += typeof extra === 'number' ? `[${extra}]` : `.${extra}`;
    return out;
  }

  error(code: string, diagnostics: string, extra?: string | number): void {
    this.issues.push({ severity: 'error', code, expression: this.path(extra), diagnostics });
  }

  resource(value: unknown, contained = false): void {
    if (!isObject(value)) {
      this.error('structure', `Expected a resource (JSON object), found ${show(value)}`);
      return;
    }
    const rt = value.resourceType;
    if (rt === undefined) {
      this.error('required', 'Missing resourceType: a resource must name its type', 'resourceType');
      return;
    }
    const def = typeof rt === 'string' ? resourceDef(rt) : undefined;
    if (!def) {
      this.error('value', `Unknown resourceType ${show(rt)}: expected a FHIR R4 resource type`, 'resourceType');
      return;
    }
    if (contained && value.contained !== undefined) {
      this.error('invariant', 'A contained resource must not contain other resources (dom-2)', 'contained');
    }
    this.object(value, def, true);
  }

  private object(obj: Json, def: TypeDef, isResource: boolean): void {
    let count = 0;
    let onlyId = true;
    let hasValue = false;
    let choiceEls: ElementDef[] | undefined;
    let choiceNames: string[] | undefined;
    for (const key in obj) {
      count++;
      if (key !== 'id') onlyId = false;
      if (isResource && key === 'resourceType') continue;
      let slot = def.byJson.get(key);
      const isExt = slot === undefined && key.charCodeAt(0) === 95; // `_name`
      if (isExt) slot = def.byJson.get(key.slice(1));
      if (slot === undefined || (isExt && (!slot.el.underscore || slot.type.kind !== Kind.Primitive))) {
        const why = isExt ? `: '_' siblings exist only for primitive elements` : '';
        this.error('structure', `Unknown element '${key}' in ${def.name}${why}`, key);
        continue;
      }
      const el = slot.el;
      if (el.choice) {
        // `valueString` with `_valueString` is one choice; with `valueBoolean` or `_valueBoolean` it is two.
        const at = choiceEls === undefined ? -1 : choiceEls.indexOf(el);
        if (at < 0) {
          (choiceEls ??= []).push(el);
          (choiceNames ??= []).push(slot.type.jsonName);
        } else if (choiceNames![at] !== slot.type.jsonName) {
          this.error('structure', `Only one type is allowed for ${def.name}.${el.name}[x]: found more than one`, key);
          continue;
        }
        if (el.name === 'value') hasValue = true;
      }
      this.segs.push(key);
      if (isExt) this.primitiveExtension(obj[key], obj[slot.type.jsonName], slot);
      else this.element(obj[key], slot, obj);
      this.segs.pop();
    }
    if (!isResource && (count === 0 || onlyId)) {
      this.error('structure', count === 0 ? 'Empty objects are not allowed in FHIR JSON' : 'Element has only an id: it needs a value or children');
      return;
    }
    for (const el of def.required) {
      if (!isPresent(obj, el)) {
        this.error('required', `Missing required element ${def.name}.${el.name}${el.choice ? '[x]' : ''} (${cardinality(el)})`, el.choice ? undefined : el.name);
      }
    }
    if (def.isExtension && (obj.extension !== undefined) === hasValue) {
      this.error('invariant', 'An extension must have either a value[x] or nested extensions, not both (ext-1)');
    }
  }

  private element(value: unknown, slot: Slot, owner: Json): void {
    const el = slot.el;
    if (el.max === 0) {
      this.error('structure', `Element ${el.name} is not allowed here (cardinality 0..0)`);
      return;
    }
    if (value === null) {
      this.error('structure', `Null is not allowed for ${el.name}: omit the element instead`);
      return;
    }
    if (!Array.isArray(value)) {
      if (el.isArray) this.error('structure', `Element ${el.name} must be a JSON array (${cardinality(el)})`);
      this.item(value, slot.type, el);
      return;
    }
    if (!el.isArray) this.error('structure', `Element ${el.name} must be a single value, not an array (${cardinality(el)})`);
    if (value.length === 0) {
      this.error('structure', `Empty arrays are not allowed in FHIR JSON: omit ${el.name} instead`);
      return;
    }
    if (value.length > el.max) this.error('structure', `Too many values for ${el.name}: ${value.length} (${cardinality(el)})`);
    let ext: unknown;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null) {
        // A null is only a placeholder when the `_name` array has content at that index.
        if (slot.type.kind === Kind.Primitive) ext ??= owner[`_${slot.type.jsonName}`] ?? false;
        if (!Array.isArray(ext) || ext[i] == null) this.error('structure', `Null is not allowed in ${el.name} unless _${el.name} has an extension at the same index`, i);
        continue;
      }
      this.segs.push(i);
      this.item(item, slot.type, el);
      this.segs.pop();
    }
  }

  private item(value: unknown, type: TypeRef, el: ElementDef): void {
    switch (type.kind) {
      case Kind.Primitive: {
        const problem = type.check!(value);
        if (problem) this.error('value', problem);
        else if (type.bound) checkBinding(this, value, type, el.valueSet!);
        return;
      }
      case Kind.Resource:
        this.resource(value, el.name === 'contained');
        return;
      default:
        if (!isObject(value)) {
          this.error('structure', `Expected a JSON object for ${el.name} (type ${type.code}), found ${show(value)}`);
          return;
        }
        this.object(value, typeDefOf(type), false);
        if (type.bound) checkBinding(this, value, type, el.valueSet!);
    }
  }

  /** `_name`: id/extensions of primitive `name`, aligned index by index when it repeats. */
  private primitiveExtension(value: unknown, main: unknown, slot: Slot): void {
    const el = slot.el;
    const key = `_${slot.type.jsonName}`;
    const base = slot.type.jsonName;
    if (value === null) {
      this.error('structure', `Null is not allowed for ${key}: omit the element instead`);
    } else if (!Array.isArray(value)) {
      if (el.isArray) this.error('structure', `Element ${key} must be a JSON array aligned with ${base}`);
      else this.elementExtension(value);
    } else if (!el.isArray) {
      this.error('structure', `Element ${key} must be a single object, not an array (${base} is not repeating)`);
    } else if (value.length === 0) {
      this.error('structure', `Empty arrays are not allowed in FHIR JSON: omit ${key} instead`);
    } else if (main !== undefined && (!Array.isArray(main) || main.length !== value.length)) {
      this.error('structure', `Array ${key} must have the same length as ${base} (${Array.isArray(main) ? main.length : 1}), found ${value.length}`);
    } else {
      for (let i = 0; i < value.length; i++) {
        if (value[i] === null) {
          // Both null at one index is reported on the value array.
          if (main === undefined) this.error('structure', `Null is not allowed in ${key} when ${base} is absent`, i);
          continue;
        }
        this.segs.push(i);
        this.elementExtension(value[i]);
        this.segs.pop();
      }
    }
  }

  private elementExtension(value: unknown): void {
    if (!isObject(value)) {
      this.error('structure', `Expected a JSON object with id/extension, found ${show(value)}`);
      return;
    }
    this.object(value, complexDef('Element'), false);
  }
}

function isPresent(obj: Json, el: ElementDef): boolean {
  for (const t of el.types) {
    if (obj[t.jsonName] !== undefined) return true;
    if (t.kind === Kind.Primitive && obj[`_${t.jsonName}`] !== undefined) return true;
  }
  return false;
}
