// The parameter-type matrix (FHIR R4 §3.1.1.4): each type × modifier × prefix with known answers.
import { searchIds, seed } from '../support/seed';
import { startTestHub, type TestHub } from '../support/test-hub';
import { FR_PATIENT, INS, searchFixtures, TAGS } from './search-fixtures';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  await seed(t, searchFixtures);
});
afterAll(async () => t.close());

const ids = async (q: string) => (await searchIds(t, q)).sort();

describe('string', () => {
  it.each([
    ['Patient?name=helene', ['pt-helene']],
    ['Patient?name=LEFE', ['pt-helene']],
    ['Patient?family=dupont', ['pt-dupont', 'pt-dupontel']],
    ['Patient?family:exact=Dupont', []],
    ['Patient?family:exact=DUPONT', ['pt-dupont']],
    ['Patient?name:contains=pon', ['pt-dupont', 'pt-dupontel']],
    ['Patient?address-city=orleans', ['pt-dupont']],
    ['Patient?family=dupont,lefebvre', ['pt-dupont', 'pt-dupontel', 'pt-helene']],
    ['Patient?family=dupont&given=jean', ['pt-dupont']],
    ['Patient?birthdate:missing=true', ['pt-sans']],
  ])('%s', async (q, expected) => expect(await ids(q)).toEqual(expected));
});

describe('token', () => {
  it.each([
    ['Patient?gender=male', ['pt-dupont', 'pt-dupontel']],
    ['Patient?gender:not=male', ['pt-helene', 'pt-sans']],
    [`Patient?identifier=${INS}|2500345678901`, ['pt-helene']],
    [`Patient?identifier=${INS}|`, ['pt-helene']],
    ['Patient?identifier=2500345678901', ['pt-helene']],
    ['Patient?identifier=|2500345678901', []],
    ['Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|NH|2500345678901', ['pt-helene']],
    ['Patient?active=true', ['pt-helene']],
    ['Patient?telecom=phone|0601020304', ['pt-dupont']],
    ['Observation?code=http://loinc.org|8867-4', ['obs-hr1', 'obs-hr2']],
    ['Observation?code=8867-4,29463-7', ['obs-hr1', 'obs-hr2', 'obs-wt']],
    ['Observation?code:text=heart', ['obs-hr1', 'obs-hr2']],
    ['Patient?gender:in=http://hl7.org/fhir/ValueSet/administrative-gender', ['pt-dupont', 'pt-dupontel', 'pt-helene']],
    ['Patient?gender:not-in=http://hl7.org/fhir/ValueSet/administrative-gender', ['pt-sans']],
    ['Patient?gender:missing=true', ['pt-sans']],
    [`Patient?_tag=${TAGS}|demo`, ['pt-helene']],
    ['Patient?_security=R', ['pt-helene']],
  ])('%s', async (q, expected) => expect(await ids(q)).toEqual(expected));

  it('refuses :in with a value set the hub does not hold', async () => {
    const res = await t.api.get('/fhir/Patient?gender:in=http://nowhere.example/ValueSet/x');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toContain('not held');
  });
});

describe('uri', () => {
  it.each([
    [`Patient?_profile=${FR_PATIENT}`, ['pt-helene']],
    ['Patient?_source=https://ehr.example.fr/a', ['pt-helene']],
    ['Questionnaire?url=https://fhir-hub.fr/Questionnaire/icope', ['q-icope']],
    ['Questionnaire?url:below=https://fhir-hub.fr/Questionnaire/icope', ['q-icope', 'q-icope-1']],
    ['Questionnaire?url:above=https://fhir-hub.fr/Questionnaire/icope/step1', ['q-icope', 'q-icope-1']],
  ])('%s', async (q, expected) => expect(await ids(q)).toEqual(expected));
});

describe('reference', () => {
  it.each([
    ['Observation?subject=Patient/pt-dupont', ['obs-hr1']],
    ['Observation?subject=pt-dupont', ['obs-hr1']],
    ['Observation?subject:Patient=pt-dupont', ['obs-hr1']],
    ['Observation?subject=http://localhost:8080/fhir/Patient/pt-dupont', ['obs-hr1']],
    ['Observation?subject:missing=true', ['obs-wt']],
    ['Observation?patient=pt-helene', ['obs-bp', 'obs-hr2']],
    ['Encounter?participant:identifier=https://rpps.esante.gouv.fr|10101010101', ['enc-rpps']],
    ['Encounter?participant:identifier=https://rpps.esante.gouv.fr|99999999999', []],
  ])('%s', async (q, expected) => expect(await ids(q)).toEqual(expected));
});

describe('date', () => {
  it.each([
    ['Patient?birthdate=1950', ['pt-helene']],
    ['Patient?birthdate=1950-03-02', ['pt-helene']],
    ['Patient?birthdate=1950-03', ['pt-helene']],
    ['Patient?birthdate=lt1960', ['pt-helene']],
    ['Patient?birthdate=ge1975-06-15', ['pt-dupont', 'pt-dupontel']],
    ['Patient?birthdate=sa1975', ['pt-dupont']],
    ['Patient?birthdate=eb1976', ['pt-dupontel', 'pt-helene']],
    ['Patient?birthdate=ne1980', ['pt-dupontel', 'pt-helene']],
    ['Patient?birthdate=ge1950&birthdate=le1975-12-31', ['pt-dupontel', 'pt-helene']],
    ['Observation?date=2024-03-15', ['obs-hr1']],
    ['Observation?date=2024-03-15T09:00:00Z', ['obs-hr1']],
    ['Observation?date=2024-03-15T10:00:00%2B01:00', ['obs-hr1']],
    ['Observation?date=2024-01-01T00:30:00%2B01:00', ['obs-wt']],
    ['Observation?date=2024', ['obs-bp', 'obs-hr1', 'obs-hr2']],
    ['Observation?date=gt2024-03-20', ['obs-bp', 'obs-hr2']],
    ['Observation?date=lt2024-03-05', ['obs-hr2', 'obs-wt']],
    ['Observation?date=le2024-03-15', ['obs-hr1', 'obs-hr2', 'obs-wt']],
    ['Observation?date=ap1990', []],
    ['Questionnaire?_lastUpdated=gt2020-01-01', ['q-icope', 'q-icope-1']],
    ['Questionnaire?_lastUpdated=lt2020-01-01', []],
  ])('%s', async (q, expected) => expect(await ids(q)).toEqual(expected));

  it('ap matches values within 10 % of the distance to now (at least a day)', async () => {
    const found = await ids('Observation?date=ap2024-05-02');
    expect(found).toContain('obs-bp');
    const spread = Math.max((Date.now() - Date.parse('2024-05-02')) * 0.1, 86_400_000);
    const weightIsNear = Date.parse('2024-05-02') - Date.parse('2023-12-31T23:30:00Z') <= spread;
    expect(found.includes('obs-wt')).toBe(weightIsNear);
  });

  it('refuses an impossible date with 400', async () => {
    const res = await t.api.get('/fhir/Patient?birthdate=2024-02-30');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['birthdate']);
  });
});

describe('number and quantity', () => {
  it.each([
    ['RiskAssessment?probability=0.8', ['ra-high']],
    ['RiskAssessment?probability=gt0.5', ['ra-high']],
    ['RiskAssessment?probability=lt0.5', ['ra-low']],
    ['RiskAssessment?probability=0.3', ['ra-low']],
    ['RiskAssessment?probability=0.27', ['ra-low']],
    ['RiskAssessment?probability=0.2', []],
    ['Observation?value-quantity=72', ['obs-hr1']],
    ['Observation?value-quantity=72|http://unitsofmeasure.org|/min', ['obs-hr1']],
    ['Observation?value-quantity=gt80||/min', ['obs-hr2']],
    ['Observation?value-quantity=70.5||kg', ['obs-wt']],
    ['Observation?value-quantity=le72', ['obs-hr1', 'obs-wt']],
    ['Observation?value-quantity=72||kg', []],
    ['Observation?value-quantity:missing=true', ['obs-bp']],
  ])('%s', async (q, expected) => expect(await ids(q)).toEqual(expected));

  it('refuses a value that is not a number', async () => {
    const res = await t.api.get('/fhir/RiskAssessment?probability=high');
    expect(res.status).toBe(400);
  });
});

describe('composite', () => {
  it.each([
    ['Observation?code-value-quantity=http://loinc.org|8867-4$gt80', ['obs-hr2']],
    ['Observation?code-value-quantity=8867-4$72|http://unitsofmeasure.org|/min', ['obs-hr1']],
    ['Observation?code-value-quantity=29463-7$gt80', []],
    ['Observation?code-value-quantity=8867-4$gt80,29463-7$lt80', ['obs-hr2', 'obs-wt']],
    ['Observation?component-code-value-quantity=http://loinc.org|8480-6$gt120', ['obs-bp']],
    ['Observation?component-code-value-quantity=http://loinc.org|8480-6$lt100', []],
    // 85 is the diastolic value: it must not pair with the systolic code of the other component.
    ['Observation?component-code-value-quantity=8480-6$85', []],
    ['Observation?component-code-value-quantity=8462-4$85', ['obs-bp']],
    ['Observation?combo-code-value-quantity=8462-4$85', ['obs-bp']],
    ['Observation?combo-code-value-quantity=8867-4$100', ['obs-hr2']],
  ])('%s', async (q, expected) => expect(await ids(q)).toEqual(expected));

  it('refuses a composite value with the wrong number of parts', async () => {
    const res = await t.api.get('/fhir/Observation?code-value-quantity=8867-4');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['code-value-quantity']);
  });
});
