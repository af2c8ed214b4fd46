// Value set membership for bindings (FHIR R4 §4.9 ValueSet.compose, §4.1 binding strengths), over the
// value sets and code systems the hub holds. Answers in / out / unknown: never `out` on a guess.
import { expandValueSet } from '../base/terminology';
import type { PackageRegistry } from '../packages/registry';
import type { Json, PackageContext } from './model';

export type Membership = 'in' | 'out' | 'unknown';

interface SystemPart {
  /** Codes listed or taken from a complete code system; undefined = system included but codes not known. */
  codes?: Set<string>;
}

export interface ValueSetView {
  url: string;
  title: string;
  bySystem: Map<string, SystemPart>;
  /** A part could not be resolved (imported value set or filter not held): `out` is never certain. */
  open: boolean;
}

interface Include {
  system?: string;
  concept?: { code: string }[];
  filter?: unknown[];
  valueSet?: string[];
}

export class ValueSetCatalog {
  private readonly views = new Map<string, ValueSetView | null>();

  constructor(private readonly registry: PackageRegistry) {}

  view(canonical: string, ctx: PackageContext): ValueSetView | null {
    const key = `${ctx.key}|${canonical}`;
    let v = this.views.get(key);
    if (v === undefined) {
      this.views.set(key, null); // cycle guard
      v = this.build(canonical, ctx);
      this.views.set(key, v);
    }
    return v;
  }

  /** Whether system#code (system may be absent for a bare `code`) is in the value set. */
  member(view: ValueSetView, system: string | undefined, code: string): Membership {
    if (system === undefined) {
      let unknown = view.open;
      for (const part of view.bySystem.values()) {
        if (!part.codes) unknown = true;
        else if (part.codes.has(code)) return 'in';
      }
      return unknown ? 'unknown' : 'out';
    }
    const part = view.bySystem.get(system);
    if (!part) return view.open ? 'unknown' : 'out';
    if (!part.codes) return 'unknown';
    return part.codes.has(code) ? 'in' : view.open ? 'unknown' : 'out';
  }

  private build(canonical: string, ctx: PackageContext): ValueSetView | null {
    const url = canonical.split('|')[0];
    if (url.startsWith('http://hl7.org/fhir/ValueSet/')) {
      const base = this.fromBase(url);
      if (base) return base;
    }
    const resolved = this.registry.resolve(canonical, ctx);
    const vs = resolved?.resource;
    if (!vs || vs.resourceType !== 'ValueSet') return this.fromBase(url);
    const view: ValueSetView = { url, title: String(vs.title ?? vs.name ?? url), bySystem: new Map(), open: false };
    const compose = vs.compose as { include?: Include[]; exclude?: Include[] } | undefined;
    if (!compose?.include?.length) return this.fromBase(url) ?? null;
    for (const inc of compose.include) this.include(view, inc, resolved!.pkg);
    // Excluded codes only narrow the set: dropping them from explicit lists is exact, and ignoring an
    // unresolvable exclude would only leave a superset, so mark the view open instead.
    if (compose.exclude?.length) view.open = true;
    return view;
  }

  private include(view: ValueSetView, inc: Include, ctx: PackageContext): void {
    if (inc.valueSet?.length) {
      for (const imported of inc.valueSet) {
        const sub = this.view(imported, ctx);
        if (!sub) {
          view.open = true;
          continue;
        }
        view.open ||= sub.open || inc.system !== undefined || inc.valueSet.length > 1;
        for (const [system, part] of sub.bySystem) merge(view, system, part.codes);
      }
      return;
    }
    if (!inc.system) {
      view.open = true;
      return;
    }
    if (inc.concept?.length && !inc.filter?.length) {
      merge(view, inc.system, new Set(inc.concept.map((c) => c.code)));
      return;
    }
    const whole = inc.filter?.length ? undefined : this.codeSystemCodes(inc.system, ctx);
    merge(view, inc.system, whole);
  }

  /** Every code of a complete code system the hub holds, else undefined. */
  private codeSystemCodes(system: string, ctx: PackageContext): Set<string> | undefined {
    const cs = this.registry.resolve(system, ctx)?.resource;
    if (cs?.resourceType === 'CodeSystem' && cs.content === 'complete' && Array.isArray(cs.concept)) {
      const codes = new Set<string>();
      const walk = (list: Json[]): void => {
        for (const c of list) {
          if (typeof c.code === 'string') codes.add(c.code);
          if (Array.isArray(c.concept)) walk(c.concept as Json[]);
        }
      };
      walk(cs.concept as Json[]);
      return codes;
    }
    return undefined;
  }

  private fromBase(url: string): ValueSetView | null {
    const base = expandValueSet(url);
    if (!base) return null;
    const bySystem = new Map<string, SystemPart>();
    for (const [system, codes] of base) bySystem.set(system, { codes });
    return { url, title: url, bySystem, open: false };
  }
}

function merge(view: ValueSetView, system: string, codes: Set<string> | undefined): void {
  const part = view.bySystem.get(system);
  if (!part) {
    view.bySystem.set(system, { codes: codes ? new Set(codes) : undefined });
  } else if (!codes) {
    part.codes = undefined;
  } else if (part.codes) {
    for (const c of codes) part.codes.add(c);
  }
}
