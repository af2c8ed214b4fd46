// Throughput of profile validation: the FR Core 2.2.0 INS patient example against its full profile
// chain (base R4 + fr-core-patient-ins and the profiles/extensions it references + French identifiers).
// Run: npx tsx bench/validate-profiles.ts [seconds]
import { join } from 'node:path';
import { loadPackages } from '../src/conformance/packages';
import { createValidator } from '../src/conformance/validator';

const seconds = Number(process.argv[2] ?? 3);
const shared = join(__dirname, '..', '..', 'shared', 'fhir-packages');
const report = loadPackages({ paths: [shared], cacheDir: false });
console.log(`packages: ${report.registry.packages().length} loaded in ${report.elapsedMs.toFixed(0)} ms, ${report.missing.length} missing dependencies`);
const validator = createValidator({ packages: report.registry });
const patient = report.registry.find('hl7.fhir.fr.core', '2.2.0')!.readJson('example/Patient-FRCorePatientExample.json')!;

let start = process.hrtime.bigint();
const first = validator.validate(patient);
console.log(`first validation (compiles profiles): ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)} ms, ${first.length} issue(s): ${first.map((i) => `${i.severity} ${i.expression}`).join('; ')}`);
for (let i = 0; i < 200; i++) validator.validate(patient); // warm-up
let n = 0;
start = process.hrtime.bigint();
const budget = BigInt(seconds * 1e9);
while (process.hrtime.bigint() - start < budget) {
  validator.validate(patient);
  n++;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`fr-core-patient-ins example: ${(n / elapsed).toFixed(0)} resources/s (${((elapsed / n) * 1e6).toFixed(0)} µs each, ${n} validations, one core)`);
