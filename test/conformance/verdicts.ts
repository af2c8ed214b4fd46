// Replays the IG Publisher's verdicts (expected-verdicts.json) against the hub's validator and
// classifies every publisher error: reproduced, not checkable (missing dependency), or unresolvable reference.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Issue } from '../../src/conformance/issue';
import type { Validator } from '../../src/conformance/validator';

export const SHARED_PACKAGES = join(__dirname, '..', '..', '..', 'shared', 'fhir-packages');
export const VERDICTS_FILE = join(SHARED_PACKAGES, 'expected-verdicts.json');
export const verdictsAvailable = existsSync(VERDICTS_FILE);

export interface PublisherError {
  location: string;
  message: string;
  source: string;
}

export interface Verdict {
  package: string;
  version: string;
  example: string;
  errorCount: number;
  errors: PublisherError[];
}

export type Outcome = 'reproduced' | 'dependency' | 'reference' | 'missed';

/**
 * Publisher errors that need a package the hub does not have: terminology (display names, TRE_* and
 * LOINC code systems: hl7.terminology, ans.fr.terminologies / ans.fr.nos), IHE MHD 4.2.3, FR Core 1.1.0
 * (interopsante.org), the annuaire versions the guides pin (1.0.1, 1.1.0).
 */
const DEPENDENCY_PATTERNS = [
  /Wrong Display Name/,
  /could not be found, so the code cannot be validated/,
  /TRE_R13-Commune\/FHIR\/TRE-R13-Commune#.*\|2\.0\.1\)/,
  /profiles\.ihe\.net|mhd-/,
  /interopsante\.org\/fhir/,
  /Slicing cannot be evaluated/,
  /Unable to find a profile match/,
];

export function loadVerdicts(): Verdict[] {
  return JSON.parse(readFileSync(VERDICTS_FILE, 'utf8')) as Verdict[];
}

/** Publisher location → hub FHIRPath: `value.ofType(Address)` → `valueAddress`, `/*Patient/x*\/` comments dropped. */
export function normalizeLocation(location: string): string {
  return location
    .replace(/\/\*.*?\*\//g, '')
    .replace(/\.(\w+)\.ofType\((\w+)\)/g, (_m, name: string, type: string) => `.${name}${type[0].toUpperCase()}${type.slice(1)}`);
}

/** Same element, or parent/child of it (publishers report a missing slice on the parent, the hub on the element). */
export function sameElement(hub: string, publisher: string): boolean {
  if (hub === publisher) return true;
  const [short, long] = hub.length < publisher.length ? [hub, publisher] : [publisher, hub];
  if (!long.startsWith(short)) return false;
  const rest = long.slice(short.length);
  return /^(\.[A-Za-z]+|\[\d+\])$/.test(rest) || /^\.[A-Za-z]+\[\d+\]$/.test(rest);
}

export function classify(error: PublisherError, hubErrors: Issue[]): Outcome {
  const at = normalizeLocation(error.location);
  if (hubErrors.some((i) => i.expression && sameElement(i.expression, at))) return 'reproduced';
  if (/^Unable to resolve resource with reference/.test(error.message)) return 'reference';
  if (DEPENDENCY_PATTERNS.some((p) => p.test(error.message))) return 'dependency';
  return 'missed';
}

export interface PackageFigures {
  key: string;
  examples: number;
  cleanExamples: number;
  cleanAgreed: number;
  errorExamples: number;
  /** Error examples where the hub reports at least one error. */
  errorExamplesFlagged: number;
  publisherErrors: number;
  reproduced: number;
  dependency: number;
  reference: number;
  missed: number;
  /** Hub errors on clean examples (false positives). */
  falseErrors: string[];
  missedErrors: string[];
}

export function replay(validator: Validator, verdicts: Verdict[], read: (v: Verdict) => unknown): PackageFigures[] {
  const byPackage = new Map<string, PackageFigures>();
  for (const v of verdicts) {
    const key = `${v.package}#${v.version}`;
    let f = byPackage.get(key);
    if (!f) {
      f = { key, examples: 0, cleanExamples: 0, cleanAgreed: 0, errorExamples: 0, errorExamplesFlagged: 0, publisherErrors: 0, reproduced: 0, dependency: 0, reference: 0, missed: 0, falseErrors: [], missedErrors: [] };
      byPackage.set(key, f);
    }
    f.examples++;
    const issues = validator.validate(read(v), { context: key });
    const hubErrors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    const publisher = v.errors.filter((e) => e.source === 'instance-validator');
    if (publisher.length === 0) {
      f.cleanExamples++;
      if (hubErrors.length === 0) f.cleanAgreed++;
      else f.falseErrors.push(...hubErrors.map((i) => `${v.example}: ${i.expression} ${i.diagnostics}`));
      continue;
    }
    f.errorExamples++;
    if (hubErrors.length) f.errorExamplesFlagged++;
    for (const e of publisher) {
      f.publisherErrors++;
      const outcome = classify(e, hubErrors);
      f[outcome]++;
      if (outcome === 'missed') f.missedErrors.push(`${v.example}: ${e.location} ${e.message.slice(0, 160)}`);
    }
  }
  return [...byPackage.values()];
}
