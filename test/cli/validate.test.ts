// `fhir-hub validate`: an OperationOutcome per file, exit code 1 when any file has an error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runValidate } from '../../src/cli/validate';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-validate-'));
const POST_DISCHARGE = 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-task-consultation-post-sortie';
const good = { resourceType: 'Patient', id: 'ok', gender: 'female', birthDate: '1950-03-02', name: [{ family: 'Martin' }] };
const bad = { ...good, id: 'bad', gender: 'x' };

let out: string[];
beforeEach(() => {
  out = [];
  jest.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

it('exits 0 and prints an OperationOutcome for a valid file', async () => {
  const file = write('good.json', good);
  expect(await runValidate([file], [])).toBe(0);
  const outcome = JSON.parse(out[0].slice(out[0].indexOf('\n') + 1));
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue.every((i: { severity: string }) => i.severity !== 'error')).toBe(true);
});

it('exits 1 and names the element when a file has an error, and reads folders', async () => {
  const folder = path.join(dir, 'folder');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'bad.json'), JSON.stringify(bad));
  expect(await runValidate([folder], [])).toBe(1);
  expect(out.join('\n')).toContain('"expression": "Patient.gender"');
});

it('validates against --profile: the post-discharge task profile requires an owner', async () => {
  const task = { resourceType: 'Task', id: 't', status: 'requested', intent: 'order', for: { reference: 'Patient/p' }, restriction: { period: { end: '2026-01-19' } } };
  const file = write('task.json', task);
  expect(await runValidate([file], [])).toBe(0);
  out = [];
  expect(await runValidate([file], [POST_DISCHARGE])).toBe(1);
  expect(out.join('\n')).toContain('"expression": "Task.owner"');
});

it('reports unreadable JSON as fatal', async () => {
  const file = write('broken.json', '{ not json');
  expect(await runValidate([file], [])).toBe(1);
  expect(out.join('\n')).toContain('"severity": "fatal"');
});
