// `fhir-hub validate <files...> [--profile <url>]`: an OperationOutcome per file; exit 1 when any has an error.
import type { OperationOutcome } from '@medplum/fhirtypes';
import { createValidator } from '../conformance/validator';
import { describeMissing } from '../conformance/packages';
import { expandPaths, readText } from '../loaders/read-files';

export async function runValidate(paths: string[], profiles: string[]): Promise<number> {
  const validator = createValidator();
  const missing = describeMissing(validator.missing);
  if (missing.length) console.error(`warning: ${missing.length} dependency packages are missing; what depends on them is not checked (FHIR_PACKAGE_PATH adds folders). First: ${missing[0]}`);
  let failed = 0;
  for (const file of expandPaths(paths)) {
    let outcome: OperationOutcome;
    try {
      const issues = validator.validate(JSON.parse(await readText(file)), { profiles });
      outcome = { resourceType: 'OperationOutcome', issue: issues.length ? (issues as OperationOutcome['issue']) : [{ severity: 'information', code: 'informational', diagnostics: 'No issues' }] };
    } catch (err) {
      outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'structure', diagnostics: `Cannot read ${file}: ${(err as Error).message}` }] };
    }
    if (outcome.issue!.some((i) => i.severity === 'error' || i.severity === 'fatal')) failed++;
    console.log(`${file}\n${JSON.stringify(outcome, null, 2)}`);
  }
  if (failed) console.error(`${failed} file(s) with errors`);
  return failed > 0 ? 1 : 0;
}
