// Snapshot generation from a differential (FHIR R4 §2.19 StructureDefinition snapshot/differential,
// §5.1.0.10 slicing): base elements copied, differential merged by element id, datatypes expanded on demand.
import type { PackageRegistry } from '../packages/registry';
import type { Json, PackageContext } from './model';

interface El extends Json {
  id: string;
  path: string;
  type?: { code: string }[];
}

const NOT_INHERITED = new Set(['id', 'path', 'extension']);

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function baseSnapshot(url: string, registry: PackageRegistry, ctx: PackageContext, seen: Set<string>): El[] {
  const resolved = registry.resolve(url, ctx);
  const sd = resolved?.resource;
  if (!sd || sd.resourceType !== 'StructureDefinition') throw new Error(`Base definition ${url} is not held`);
  const withSnapshot = sd.snapshot ? sd : generateSnapshot(sd, registry, resolved!.pkg, seen);
  return clone((withSnapshot.snapshot as { element: El[] }).element);
}

/** Index just past the last element under `id` (its descendants and its slices). */
function endOf(elements: El[], at: number): number {
  const id = elements[at].id;
  let i = at + 1;
  while (i < elements.length && (elements[i].id.startsWith(`${id}.`) || elements[i].id.startsWith(`${id}:`))) i++;
  return i;
}

/** Copies of `source` and its non-slice descendants, re-rooted at `newId` / `newPath`. */
function copyTree(elements: El[], at: number, newId: string, newPath: string): El[] {
  const { id, path } = elements[at];
  const out: El[] = [];
  for (let i = at; i < elements.length; i++) {
    const e = elements[i];
    if (i > at && !e.id.startsWith(`${id}.`)) break;
    if (i > at && e.id.slice(id.length).includes(':')) continue;
    const copy = clone(e);
    copy.id = newId + e.id.slice(id.length);
    copy.path = newPath + e.path.slice(path.length);
    delete copy.slicing;
    out.push(copy);
  }
  return out;
}

function merge(target: El, diff: Json): void {
  for (const [k, v] of Object.entries(diff)) {
    if (NOT_INHERITED.has(k)) continue;
    if (k === 'constraint' && Array.isArray(target.constraint)) {
      target.constraint = [...(target.constraint as unknown[]), ...(v as unknown[])];
    } else {
      target[k] = clone(v);
    }
  }
}

class Builder {
  constructor(
    readonly elements: El[],
    private readonly registry: PackageRegistry,
    private readonly ctx: PackageContext,
    private readonly seen: Set<string>,
  ) {}

  indexOf(id: string): number {
    return this.elements.findIndex((e) => e.id === id);
  }

  /** Finds the element with `id`, creating slices and expanding datatypes as needed. */
  locate(id: string, sliceName?: string): number {
    let at = this.indexOf(id);
    if (at >= 0) return at;
    if (sliceName && id.endsWith(`:${sliceName}`)) {
      const slicedId = id.slice(0, -sliceName.length - 1);
      const sliced = this.locate(slicedId);
      const copies = copyTree(this.elements, sliced, id, this.elements[sliced].path);
      delete copies[0].slicing;
      copies[0].sliceName = sliceName;
      this.elements.splice(endOf(this.elements, sliced), 0, ...copies);
      return this.indexOf(id);
    }
    const dot = id.lastIndexOf('.');
    if (dot < 0) throw new Error(`Element ${id} is not in the base definition`);
    const parent = this.locate(id.slice(0, dot));
    this.expandType(parent);
    at = this.indexOf(id);
    if (at < 0) throw new Error(`Element ${id} is not in the base definition`);
    return at;
  }

  /** Inserts the children of a datatype element (e.g. Identifier.system under Patient.identifier). */
  private expandType(at: number): void {
    const parent = this.elements[at];
    if (this.elements[at + 1]?.id.startsWith(`${parent.id}.`)) return;
    const code = parent.type?.[0]?.code;
    if (!code || parent.type!.length !== 1) throw new Error(`Cannot expand ${parent.id}: it needs exactly one type`);
    const typeElements = baseSnapshot(`http://hl7.org/fhir/StructureDefinition/${code}`, this.registry, this.ctx, this.seen);
    const children = typeElements.slice(1).map((e) => {
      const rest = e.id.slice(e.id.indexOf('.'));
      return { ...e, id: parent.id + rest, path: parent.path + e.path.slice(e.path.indexOf('.')) };
    });
    this.elements.splice(at + 1, 0, ...children);
  }
}

export function generateSnapshot(sd: Json, registry: PackageRegistry, ctx: PackageContext, seen = new Set<string>()): Json {
  const url = String(sd.url);
  if (seen.has(url)) throw new Error(`Circular baseDefinition chain at ${url}`);
  seen.add(url);
  const baseUrl = sd.baseDefinition;
  if (typeof baseUrl !== 'string') throw new Error(`${url} has neither a snapshot nor a baseDefinition`);
  const builder = new Builder(baseSnapshot(baseUrl, registry, ctx, seen), registry, ctx, seen);
  const diff = ((sd.differential as { element?: El[] } | undefined)?.element ?? []) as El[];
  for (const d of diff) {
    const id = d.id ?? d.path;
    const at = builder.locate(id, d.sliceName as string | undefined);
    merge(builder.elements[at], d);
  }
  const root = builder.elements[0];
  root.id = root.path = String(sd.type);
  return { ...sd, snapshot: { element: builder.elements } };
}
