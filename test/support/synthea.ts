// Loads Synthea patients from ../shared/test-data/synthea at run time (never copied into the repository).
import path from 'node:path';
import { importFile } from '../../src/loaders/import-files';
import { readText } from '../../src/loaders/read-files';
import type { TestHub } from './test-hub';

export const SYNTHEA = path.resolve(__dirname, '../../../shared/test-data/synthea');
export const SYNTHEA_DIRECTORY = ['0-hospitalInformation1625911868739.json.bz2', '0-practitionerInformation1625911868739.json.bz2'];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Imports the directory files and one patient file; returns the hub's id of that patient and the raw resources. */
export async function loadSyntheaPatient(t: TestHub, file: string): Promise<{ patientId: string; raw: Json[] }> {
  for (const f of [...SYNTHEA_DIRECTORY, file]) {
    const report = await importFile(t.ctx, path.join(SYNTHEA, f));
    if (report.failures.length) throw new Error(`import ${f}: ${JSON.stringify(report.failures).slice(0, 500)}`);
  }
  const bundle = JSON.parse(await readText(path.join(SYNTHEA, file))) as Json;
  const raw = (bundle.entry as Json[]).map((e) => e.resource as Json);
  const p = raw.find((r) => r.resourceType === 'Patient')!;
  const res = await t.api.get(`/fhir/Patient?identifier=${encodeURIComponent(`${p.identifier[0].system}|${p.identifier[0].value}`)}`);
  return { patientId: res.body.entry[0].resource.id as string, raw };
}
