// Per-value checks of an element: bindings (FHIR R4 §4.1.1 strengths) and Reference targets
// (ElementDefinition.type.targetProfile and aggregation).
import type { Issue } from '../issue';
import type { PackageRegistry } from '../packages/registry';
import type { ElementType, Json, PackageContext, ProfileNode } from './model';
import type { Membership, ValueSetCatalog } from './valuesets';

export interface CheckEnv {
  registry: PackageRegistry;
  valueSets: ValueSetCatalog;
  report(issue: Issue): void;
  /** A canonical the hub does not hold (reported once per validation as a warning). */
  notHeld(kind: string, canonical: string, path: string): void;
}

const BOUND_TYPES = new Set(['code', 'Coding', 'CodeableConcept']);

export function checkBinding(env: CheckEnv, node: ProfileNode, type: string, value: unknown, path: string, ctx: PackageContext): void {
  const binding = node.binding;
  if (!binding?.valueSet || !BOUND_TYPES.has(type)) return;
  const required = binding.strength === 'required';
  let codings: { system?: string; code?: string }[];
  if (type === 'code') codings = [{ code: value as string }];
  else if (type === 'Coding') codings = [value as Json as { system?: string; code?: string }];
  else codings = Array.isArray((value as Json).coding) ? ((value as Json).coding as []) : [];
  const coded = codings.filter((c) => typeof c?.code === 'string');
  if (coded.length === 0) {
    if (required && type === 'CodeableConcept') {
      env.report({ severity: 'error', code: 'code-invalid', expression: path, diagnostics: `No code provided, and a code is required from the value set ${binding.valueSet}` });
    }
    return;
  }
  const view = env.valueSets.view(binding.valueSet, ctx);
  if (!view) {
    env.notHeld('ValueSet', binding.valueSet, path);
    return;
  }
  let result: Membership = 'out';
  for (const c of coded) {
    const m = env.valueSets.member(view, type === 'code' ? undefined : c.system, c.code!);
    if (m === 'in') return;
    if (m === 'unknown') result = 'unknown';
  }
  const shown = coded.map((c) => (c.system ? `${c.system}#${c.code}` : c.code)).join(', ');
  if (result === 'out') {
    env.report({
      severity: required ? 'error' : 'warning',
      code: 'code-invalid',
      expression: path,
      diagnostics: `The code ${shown} is not in the ${binding.strength} value set ${view.title} (${binding.valueSet})`,
    });
  } else if (required) {
    env.report({
      severity: 'warning',
      code: 'not-supported',
      expression: path,
      diagnostics: `The code ${shown} could not be checked against the required value set ${binding.valueSet}: its code system is not held`,
    });
  }
}

const TYPED_REFERENCE = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export interface ReferenceTarget {
  /** Resource type the reference points to, when it can be told. */
  type?: string;
  contained: boolean;
}

export type TargetFinder = (reference: Json) => Json | undefined;

function targetOf(value: Json, find: TargetFinder): ReferenceTarget {
  const ref = value.reference;
  const found = find(value);
  if (found && typeof found.resourceType === 'string') return { type: found.resourceType, contained: typeof ref === 'string' && ref.startsWith('#') };
  if (typeof ref === 'string') {
    const m = TYPED_REFERENCE.exec(ref);
    if (m) return { type: m[1], contained: false };
  }
  return { type: typeof value.type === 'string' ? value.type : undefined, contained: false };
}

/** Resource types allowed by target profiles; undefined when one of them is not held. */
function allowedTypes(env: CheckEnv, targets: string[], ctx: PackageContext): string[] | undefined {
  const out: string[] = [];
  for (const t of targets) {
    const sd = env.registry.resolve(t, ctx)?.resource;
    if (sd?.resourceType === 'StructureDefinition' && typeof sd.type === 'string') out.push(sd.type);
    else if (t.startsWith('http://hl7.org/fhir/StructureDefinition/')) out.push(t.slice(t.lastIndexOf('/') + 1));
    else return undefined;
  }
  return out;
}

export function checkReference(env: CheckEnv, type: ElementType, value: Json, path: string, ctx: PackageContext, find: TargetFinder, inBundle: boolean): void {
  const ref = value.reference;
  if (type.aggregation.length && typeof ref === 'string' && !ref.startsWith('#') && !type.aggregation.includes('referenced')) {
    const bundled = type.aggregation.includes('bundled') && inBundle && find(value) !== undefined;
    if (!bundled) {
      env.report({ severity: 'error', code: 'structure', expression: path, diagnostics: `Reference '${ref}' is external, but the profile only allows aggregation mode(s) ${type.aggregation.join(', ')}` });
    }
  }
  if (!type.targetProfiles.length) return;
  const target = targetOf(value, find);
  if (!target.type) return;
  const allowed = allowedTypes(env, type.targetProfiles, ctx);
  if (!allowed || allowed.includes('Resource') || allowed.includes(target.type)) return;
  env.report({ severity: 'error', code: 'structure', expression: path, diagnostics: `Reference to a ${target.type} is not allowed here: the target must be ${allowed.join(' | ')}` });
}
