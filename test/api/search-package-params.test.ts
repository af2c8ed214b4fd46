// SearchParameters of the loaded French packages are searchable; base R4 codes keep their meaning.
import type { Resource } from '@medplum/fhirtypes';
import { searchIds, seed } from '../support/seed';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
const SAVOIR_FAIRE = 'https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale';

beforeAll(async () => {
  t = await startTestHub();
  await seed(t, [
    { resourceType: 'Practitioner', id: 'gp', qualification: [{ code: { coding: [{ system: SAVOIR_FAIRE, code: 'SM54' }] } }] },
    { resourceType: 'Practitioner', id: 'cardio', qualification: [{ code: { coding: [{ system: SAVOIR_FAIRE, code: 'SM04' }] } }] },
    { resourceType: 'Organization', id: 'msp', name: 'MSP', telecom: [{ system: 'email', value: 'secretariat@msp.mssante.fr' }] },
    {
      resourceType: 'CareTeam',
      id: 'ct',
      participant: [
        { member: { reference: 'Practitioner/gp' }, period: { start: '2026-01-10' } },
        { member: { reference: 'Practitioner/cardio' }, period: { start: '2026-03-01' } },
      ],
    },
  ] as Resource[]);
});
afterAll(async () => t.close());

it('indexes the Annuaire qualification-code of Practitioner', async () => {
  expect(await searchIds(t, `Practitioner?qualification-code=${encodeURIComponent(`${SAVOIR_FAIRE}|SM54`)}`)).toEqual(['gp']);
});

it('indexes the Annuaire mailbox-mss of Organization', async () => {
  expect(await searchIds(t, 'Organization?mailbox-mss=secretariat@msp')).toEqual(['msp']);
});

it('indexes the Cercle de soins participant-start of CareTeam', async () => {
  expect(await searchIds(t, 'CareTeam?participant-start=ge2026-02-01')).toEqual(['ct']);
  expect(await searchIds(t, 'CareTeam?participant-start=ge2027-01-01')).toEqual([]);
});

it('keeps the base meaning of a code a package redefines', async () => {
  const def = t.ctx.registry.get('Slot', 'start');
  expect(def?.url).toBe('http://hl7.org/fhir/SearchParameter/Slot-start');
});
