// Required-binding checks on code, Coding and CodeableConcept values.
// Only codes of a fully expanded value set are checked; everything else passes.
import type { TypeRef } from './model';
import { requiredExpansion, type CodeSet, type Expansion } from './terminology';

interface Reporter {
  error(code: string, diagnostics: string, extra?: string | number): void;
}

function has(set: CodeSet, code: string): boolean {
  return set.codes.has(code) || (set.caseInsensitive && set.codes.has(code.toLowerCase()));
}

function expected(exp: Expansion): string {
  const more = exp.all.codes.size > exp.sample.length ? ', ...' : '';
  return `expected one of: ${exp.sample.join(', ')}${more}`;
}

export function checkBinding(out: Reporter, value: unknown, type: TypeRef, valueSet: string): void {
  const exp = requiredExpansion(valueSet);
  if (!exp) return;
  if (type.bound === 'code') {
    if (!has(exp.all, value as string)) {
      out.error('code-invalid', `Code '${value as string}' is not in the required value set ${valueSet} (${expected(exp)})`);
    }
  } else if (type.bound === 'Coding') {
    checkCoding(out, value as Record<string, unknown>, exp, undefined);
  } else {
    const codings = (value as { coding?: unknown }).coding;
    if (!Array.isArray(codings)) return;
    for (let i = 0; i < codings.length; i++) checkCoding(out, codings[i], exp, i);
  }
}

/** Error only when the coding uses a system of the value set with a code it doesn't list. */
function checkCoding(out: Reporter, coding: unknown, exp: Expansion, index: number | undefined): void {
  if (typeof coding !== 'object' || coding === null) return;
  const { system, code } = coding as { system?: unknown; code?: unknown };
  if (typeof system !== 'string' || typeof code !== 'string') return;
  const set = exp.bySystem.get(system);
  if (!set || has(set, code)) return;
  const where = index === undefined ? 'code' : `coding[${index}].code`;
  out.error('code-invalid', `Code '${code}' of system ${system} is not in the required value set ${exp.url} (${expected(exp)})`, where);
}
