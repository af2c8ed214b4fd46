// Builds ProfileNode trees from StructureDefinition snapshots (FHIR R4 §2.4.3 element ids, §5.1.0.10 slicing).
import {
  prefixedValue,
  type CompiledProfile,
  type Constraint,
  type Discriminator,
  type ElementType,
  type Json,
  type PackageContext,
  type ProfileNode,
} from './model';

interface RawElement extends Json {
  id?: string;
  path: string;
  sliceName?: string;
  min?: number;
  max?: string;
  type?: { code: string; profile?: string[]; targetProfile?: string[]; aggregation?: string[] }[];
  binding?: { strength: string; valueSet?: string };
  constraint?: { key: string; severity: string; human: string; expression?: string; source?: string }[];
  slicing?: { discriminator?: { type: string; path: string }[]; rules?: string; ordered?: boolean };
}

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

function elementType(t: NonNullable<RawElement['type']>[number]): ElementType {
  let code = t.code;
  if (code.startsWith('http://hl7.org/fhirpath/System.')) {
    const ext = (t as Json).extension as { url: string; valueUrl?: string }[] | undefined;
    code = ext?.find((x) => x.url === FHIR_TYPE_EXT)?.valueUrl ?? 'string';
  }
  return { code, profiles: t.profile ?? [], targetProfiles: t.targetProfile ?? [], aggregation: t.aggregation ?? [] };
}

function toNode(e: RawElement): ProfileNode {
  const last = e.path.slice(e.path.lastIndexOf('.') + 1);
  const choice = last.endsWith('[x]');
  const node: ProfileNode = {
    id: e.id ?? e.path,
    path: e.path,
    name: choice ? last.slice(0, -3) : last,
    choice,
    min: e.min ?? 0,
    max: e.max === undefined || e.max === '*' ? Infinity : Number(e.max),
    types: (e.type ?? []).map(elementType),
    constraints: (e.constraint ?? [])
      .filter((c) => c.expression)
      .map((c): Constraint => ({ key: c.key, severity: c.severity === 'error' ? 'error' : 'warning', human: c.human, expression: c.expression!, source: c.source })),
    children: [],
    slices: [],
  };
  const fixed = prefixedValue(e, 'fixed');
  if (fixed !== undefined) node.fixed = fixed;
  const pattern = prefixedValue(e, 'pattern');
  if (pattern !== undefined) node.pattern = pattern;
  if (e.binding && (e.binding.strength === 'required' || e.binding.strength === 'extensible')) node.binding = e.binding;
  if (e.sliceName) node.sliceName = e.sliceName;
  if (e.slicing) {
    node.slicing = {
      discriminators: (e.slicing.discriminator ?? []) as Discriminator[],
      rules: (e.slicing.rules ?? 'open') as 'open' | 'closed' | 'openAtEnd',
      ordered: e.slicing.ordered === true,
    };
  }
  return node;
}

/** Id of the element an id hangs under, found among known ids (slice names may contain dots). */
function parentId(id: string, known: Map<string, ProfileNode>): string | undefined {
  for (let at = id.lastIndexOf('.'); at > 0; at = id.lastIndexOf('.', at - 1)) {
    const candidate = id.slice(0, at);
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

export function compileSnapshot(sd: Json, pkg: PackageContext): CompiledProfile {
  const elements = ((sd.snapshot as { element?: RawElement[] } | undefined)?.element ?? []) as RawElement[];
  if (elements.length === 0) throw new Error(`StructureDefinition ${String(sd.url)} has no snapshot`);
  const byId = new Map<string, ProfileNode>();
  const root = toNode(elements[0]);
  byId.set(root.id, root);
  for (let i = 1; i < elements.length; i++) {
    const node = toNode(elements[i]);
    byId.set(node.id, node);
    const lastSeg = node.id.slice(node.id.lastIndexOf('.') + 1);
    if (node.sliceName && lastSeg.includes(':')) {
      // `a.b:s` slices `a.b`; `a.b:s/t` re-slices `a.b:s`.
      const sliced = node.id.slice(0, node.id.length - node.sliceName.length - 1);
      const reslice = node.sliceName.includes('/') ? byId.get(node.id.slice(0, node.id.lastIndexOf('/'))) : undefined;
      const owner = reslice ?? byId.get(sliced);
      if (owner) {
        owner.slices.push(node);
        continue;
      }
    }
    const parent = byId.get(parentId(node.id, byId) ?? '');
    parent?.children.push(node);
  }
  return {
    url: String(sd.url),
    version: sd.version as string | undefined,
    type: String(sd.type),
    name: String(sd.name ?? sd.id ?? sd.url),
    root,
    pkg,
  };
}
