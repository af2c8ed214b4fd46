// FHIRPath Patch (FHIR R4 §2.15): each operation type, paths with where() and indexes, and refusals.
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const INS = 'urn:oid:1.2.250.1.213.1.4.8';
const base = {
  resourceType: 'Patient',
  id: 'fp',
  active: true,
  identifier: [{ system: 'https://ipp.chu.example', value: 'IPP1' }, { system: INS, value: '2500345678901' }],
  name: [{ family: 'Martin', given: ['Hélène', 'Marie'] }],
  telecom: [{ system: 'phone', value: '0601' }, { system: 'email', value: 'h@example.fr' }],
};

type Part = Record<string, unknown>;
const op = (parts: Part) => ({ name: 'operation', part: Object.entries(parts).map(([name, v]) => ({ name, ...(v as object) })) });

async function patchWith(...operations: ReturnType<typeof op>[]) {
  await t.api.put('/fhir/Patient/fp').set('Content-Type', 'application/fhir+json').send(JSON.stringify(base));
  return t.api.patch('/fhir/Patient/fp').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ resourceType: 'Parameters', parameter: operations }));
}

it('replace, on a primitive and on an item chosen by where()', async () => {
  const res = await patchWith(
    op({ type: { valueCode: 'replace' }, path: { valueString: 'Patient.active' }, value: { valueBoolean: false } }),
    op({ type: { valueCode: 'replace' }, path: { valueString: `Patient.identifier.where(system = '${INS}').value` }, value: { valueString: '2500345678999' } }),
  );
  expect(res.status).toBe(200);
  expect(res.body.active).toBe(false);
  expect(res.body.identifier[1].value).toBe('2500345678999');
  expect(res.body.identifier[0].value).toBe('IPP1');
});

it('add to a list and to an absent element, with a complex value built from parts', async () => {
  const res = await patchWith(
    op({ type: { valueCode: 'add' }, path: { valueString: 'Patient' }, name: { valueString: 'birthDate' }, value: { valueDate: '1950-03-02' } }),
    op({
      type: { valueCode: 'add' },
      path: { valueString: 'Patient' },
      name: { valueString: 'generalPractitioner' },
      value: { part: [{ name: 'reference', valueString: 'Practitioner/dr-roux' }] },
    }),
    op({ type: { valueCode: 'add' }, path: { valueString: 'Patient.name[0]' }, name: { valueString: 'given' }, value: { valueString: 'Louise' } }),
  );
  expect(res.status).toBe(200);
  expect(res.body.birthDate).toBe('1950-03-02');
  expect(res.body.generalPractitioner).toEqual([{ reference: 'Practitioner/dr-roux' }]);
  expect(res.body.name[0].given).toEqual(['Hélène', 'Marie', 'Louise']);
});

it('insert, move and delete in lists', async () => {
  const res = await patchWith(
    op({ type: { valueCode: 'insert' }, path: { valueString: 'Patient.name[0].given' }, index: { valueInteger: 0 }, value: { valueString: 'Anne' } }),
    op({ type: { valueCode: 'move' }, path: { valueString: 'Patient.telecom' }, source: { valueInteger: 1 }, destination: { valueInteger: 0 } }),
    op({ type: { valueCode: 'delete' }, path: { valueString: "Patient.identifier.where(system = 'https://ipp.chu.example')" } }),
  );
  expect(res.status).toBe(200);
  expect(res.body.name[0].given).toEqual(['Anne', 'Hélène', 'Marie']);
  expect(res.body.telecom.map((c: { system: string }) => c.system)).toEqual(['email', 'phone']);
  expect(res.body.identifier).toEqual([{ system: INS, value: '2500345678901' }]);
});

it('refuses a path matching several elements, an unknown operation and a result the base definitions refuse', async () => {
  const many = await patchWith(op({ type: { valueCode: 'replace' }, path: { valueString: 'Patient.telecom.value' }, value: { valueString: 'x' } }));
  expect(many.status).toBe(400);
  expect(many.body.issue[0].diagnostics).toContain('matches 2');
  const unknown = await patchWith(op({ type: { valueCode: 'rename' }, path: { valueString: 'Patient' } }));
  expect(unknown.status).toBe(400);
  const invalid = await patchWith(op({ type: { valueCode: 'replace' }, path: { valueString: 'Patient.active' }, value: { valueString: 'maybe' } }));
  expect(invalid.status).toBeGreaterThanOrEqual(400);
  expect(invalid.status).toBeLessThan(500);
  expect((await t.api.get('/fhir/Patient/fp')).body.active).toBe(true);
});

it('is advertised in the CapabilityStatement', async () => {
  expect((await t.api.get('/fhir/metadata')).body.patchFormat).toContain('application/fhir+json');
});
