// ValueSet/$expand, ValueSet/$validate-code and CodeSystem/$lookup (issue 4, point 5) over what the hub holds:
// base R4 value sets and code systems, and the loaded FR Core packages; never a partial answer presented as complete.
import { createResource, issues, postJson } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

jest.setTimeout(120_000);

const GENDER_VS = 'http://hl7.org/fhir/ValueSet/administrative-gender';
const GENDER = 'http://hl7.org/fhir/administrative-gender';
const FR = 'https://hl7.fr/ig/fhir/core';
const LOCATION_TYPE_VS = `${FR}/ValueSet/fr-core-vs-location-type`;
const TITLE_VS = `${FR}/ValueSet/fr-core-vs-title`; // draws on TRE_R11, a NOS code system the hub does not hold
const TRE_R11 = 'https://mos.esante.gouv.fr/NOS/TRE_R11-CiviliteExercice/FHIR/TRE-R11-CiviliteExercice';
const CONTACT_ROLE_VS = `${FR}/ValueSet/fr-core-vs-patient-contact-role`;
const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => t.close());

const q = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
const parameters = (...parameter: Record<string, unknown>[]) => ({ resourceType: 'Parameters', parameter });
type Contains = { system: string; code: string; display?: string };
const codes = (body: { expansion: { contains?: Contains[] } }) => (body.expansion.contains ?? []).map((c) => c.code);
const out = (body: { parameter: { name: string; [k: string]: unknown }[] }, name: string) => body.parameter.filter((p) => p.name === name);
const value = (body: Parameters<typeof out>[0], name: string) => {
  const p = out(body, name)[0];
  return p ? (p.valueBoolean ?? p.valueString ?? p.valueCode) : undefined;
};
const propertyValues = (body: Parameters<typeof out>[0], code: string) =>
  out(body, 'property')
    .map((p) => p.part as { name: string; valueCode?: string; valueString?: string; valueBoolean?: boolean }[])
    .filter((part) => part.find((x) => x.name === 'code')?.valueCode === code)
    .map((part) => {
      const v = part.find((x) => x.name === 'value')!;
      return v.valueCode ?? v.valueString ?? v.valueBoolean;
    });

describe('ValueSet/$expand', () => {
  it('expands a base R4 value set by url, with identifier, timestamp, total and displays', async () => {
    const res = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: GENDER_VS })}`);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('ValueSet');
    expect(res.body.url).toBe(GENDER_VS);
    const { expansion } = res.body;
    expect(expansion.identifier).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(new Date(expansion.timestamp).getTime()).not.toBeNaN();
    expect(expansion.total).toBe(4);
    expect(expansion.contains).toContainEqual({ system: GENDER, version: '4.0.1', code: 'female', display: 'Female' });
    expect(codes(res.body).sort()).toEqual(['female', 'male', 'other', 'unknown']);
  });

  it('takes the url or the value set itself in a Parameters body (POST)', async () => {
    const byUrl = await postJson(t, '/fhir/ValueSet/$expand', parameters({ name: 'url', valueUri: GENDER_VS }));
    expect(byUrl.status).toBe(200);
    expect(byUrl.body.expansion.total).toBe(4);
    const inline = {
      resourceType: 'ValueSet',
      status: 'draft',
      compose: { include: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', concept: [{ code: 'M' }, { code: 'W' }] }] },
    };
    const res = await postJson(t, '/fhir/ValueSet/$expand', parameters({ name: 'valueSet', resource: inline }));
    expect(res.status).toBe(200);
    expect(res.body.expansion.contains.map((c: Contains) => [c.code, c.display])).toEqual([['M', 'Married'], ['W', 'Widowed']]);
  });

  it('filters on display and code, and pages with count and offset', async () => {
    const filtered = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: GENDER_VS, filter: 'fem' })}`);
    expect(codes(filtered.body)).toEqual(['female']);
    expect(filtered.body.expansion.total).toBe(1);
    expect(filtered.body.expansion.parameter).toContainEqual({ name: 'filter', valueString: 'fem' });
    const all = codes((await t.api.get(`/fhir/ValueSet/$expand?${q({ url: GENDER_VS })}`)).body);
    const pages: string[] = [];
    for (const offset of [0, 2]) {
      const page = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: GENDER_VS, count: 2, offset })}`);
      expect(page.status).toBe(200);
      expect(page.body.expansion.total).toBe(4);
      expect(page.body.expansion.offset).toBe(offset);
      expect(page.body.expansion.contains).toHaveLength(2);
      pages.push(...codes(page.body));
    }
    expect(pages).toEqual(all);
    const none = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: GENDER_VS, count: 0 })}`);
    expect(none.body.expansion.total).toBe(4);
    expect(none.body.expansion).not.toHaveProperty('contains');
  });

  it('expands a French value set from its package: the whole FR Core code system it includes', async () => {
    const res = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: LOCATION_TYPE_VS })}`);
    expect(res.status).toBe(200);
    expect(res.body.expansion.total).toBe(12);
    expect(res.body.expansion.contains).toContainEqual(expect.objectContaining({ system: `${FR}/CodeSystem/fr-core-cs-location-type`, code: 'BAT', display: 'Bâtiment' }));
    const accentless = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: LOCATION_TYPE_VS, filter: 'batiment' })}`);
    expect(codes(accentless.body)).toEqual(['BAT']);
    const pinned = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: LOCATION_TYPE_VS, valueSetVersion: '2.0.1' })}`);
    expect([pinned.status, pinned.body.version]).toEqual([200, '2.0.1']);
  });

  it('refuses with 422 a value set whose code system the hub does not hold, naming it', async () => {
    const res = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: TITLE_VS })}`);
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(issues(res.body)[0].code).toBe('not-supported');
    expect(issues(res.body)[0].diagnostics).toContain(TRE_R11);
    expect(issues(res.body)[0].diagnostics).toContain('cannot be expanded completely');
  });

  it('refuses with 422 a filter it does not support, rather than a partial list', async () => {
    const vs = { resourceType: 'ValueSet', status: 'draft', compose: { include: [{ system: GENDER, filter: [{ property: 'concept', op: 'regex', value: 'f.*' }] }] } };
    const res = await postJson(t, '/fhir/ValueSet/$expand', parameters({ name: 'valueSet', resource: vs }));
    expect(res.status).toBe(422);
    expect(issues(res.body)[0].diagnostics).toContain('regex');
  });

  it('expands a stored value set on its instance: ValueSet/[id]/$expand', async () => {
    const id = await createResource(t, {
      resourceType: 'ValueSet',
      status: 'active',
      url: 'https://ehr.example.fr/ValueSet/sexes',
      compose: { include: [{ valueSet: [GENDER_VS] }], exclude: [{ system: GENDER, concept: [{ code: 'unknown' }] }] },
    });
    const res = await t.api.get(`/fhir/ValueSet/${id}/$expand`);
    expect(res.status).toBe(200);
    expect(codes(res.body).sort()).toEqual(['female', 'male', 'other']);
    const check = await t.api.get(`/fhir/ValueSet/${id}/$validate-code?${q({ system: GENDER, code: 'unknown' })}`);
    expect(value(check.body, 'result')).toBe(false);
    expect((await t.api.get('/fhir/ValueSet/does-not-exist/$expand')).status).toBe(404);
  });

  it('answers 400 naming the parameter, and 404 for a value set the hub does not hold', async () => {
    const missing = await t.api.get('/fhir/ValueSet/$expand');
    expect(missing.status).toBe(400);
    expect(issues(missing.body)[0].expression).toEqual(['url']);
    const badCount = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: GENDER_VS, count: 'ten' })}`);
    expect([badCount.status, issues(badCount.body)[0].expression]).toEqual([400, ['count']]);
    const notParameters = await postJson(t, '/fhir/ValueSet/$expand', { resourceType: 'Patient' });
    expect(notParameters.status).toBe(400);
    const unknown = await t.api.get(`/fhir/ValueSet/$expand?${q({ url: 'https://ehr.example.fr/ValueSet/nowhere' })}`);
    expect(unknown.status).toBe(404);
    expect(issues(unknown.body)[0].diagnostics).toContain('https://ehr.example.fr/ValueSet/nowhere');
  });
});

describe('ValueSet/[id]/$expand on a value set stored from a package', () => {
  it('expands it within its own package version', async () => {
    const withPackages = await startTestHub({ PACKAGE_RESOURCES: 'on' });
    try {
      const found = await withPackages.api.get(`/fhir/ValueSet?${q({ url: LOCATION_TYPE_VS, version: '2.1.0' })}`);
      expect(found.body.total).toBe(1);
      const id = found.body.entry[0].resource.id;
      const res = await withPackages.api.get(`/fhir/ValueSet/${id}/$expand`);
      expect(res.status).toBe(200);
      expect(res.body.version).toBe('2.1.0');
      expect(codes(res.body)).toContain('ACC'); // FR Core 2.1.0's codes, not 2.2.0's
      expect(codes(res.body)).not.toContain('BAT');
    } finally {
      await withPackages.close();
    }
  });
});

describe('ValueSet/$validate-code', () => {
  it('answers result true with the display for a member, false with a message for a non-member', async () => {
    const yes = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: GENDER_VS, system: GENDER, code: 'female' })}`);
    expect(yes.status).toBe(200);
    expect(yes.body.resourceType).toBe('Parameters');
    expect([value(yes.body, 'result'), value(yes.body, 'display')]).toEqual([true, 'Female']);
    const no = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: GENDER_VS, system: GENDER, code: 'woman' })}`);
    expect(value(no.body, 'result')).toBe(false);
    expect(value(no.body, 'message')).toContain('woman');
  });

  it('checks the display, and takes a coding or a codeableConcept in a Parameters body', async () => {
    const wrong = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: GENDER_VS, system: GENDER, code: 'male', display: 'Femme' })}`);
    expect([value(wrong.body, 'result'), value(wrong.body, 'display')]).toEqual([false, 'Male']);
    expect(value(wrong.body, 'message')).toContain('Femme');
    const coding = await postJson(t, '/fhir/ValueSet/$validate-code', parameters({ name: 'url', valueUri: GENDER_VS }, { name: 'coding', valueCoding: { system: GENDER, code: 'other' } }));
    expect(value(coding.body, 'result')).toBe(true);
    const concept = { coding: [{ system: TRE_R11, code: 'MME' }, { system: GENDER, code: 'unknown' }] };
    const cc = await postJson(t, '/fhir/ValueSet/$validate-code', parameters({ name: 'url', valueUri: GENDER_VS }, { name: 'codeableConcept', valueCodeableConcept: concept }));
    expect(value(cc.body, 'result')).toBe(true);
  });

  it('checks codes of a French value set enumerated in its package', async () => {
    const yes = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: LOCATION_TYPE_VS, system: `${FR}/CodeSystem/fr-core-cs-location-type`, code: 'BAT' })}`);
    expect([value(yes.body, 'result'), value(yes.body, 'display')]).toEqual([true, 'Bâtiment']);
    // Part of this value set is not held (two NOS systems), but a v2-0131 code can only come from its enumerated part.
    const no = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: CONTACT_ROLE_VS, system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C' })}`);
    expect([no.status, value(no.body, 'result')]).toEqual([200, false]);
    const listed = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: CONTACT_ROLE_VS, system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'U' })}`);
    expect(value(listed.body, 'result')).toBe(true);
  });

  it('says a code cannot be checked (422, not-supported) when its code system is not held, never result=false', async () => {
    const res = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: TITLE_VS, system: TRE_R11, code: 'MME' })}`);
    expect(res.status).toBe(422);
    expect(issues(res.body)[0].code).toBe('not-supported');
    expect(issues(res.body)[0].diagnostics).toContain('cannot be checked');
    expect(issues(res.body)[0].diagnostics).toContain(TRE_R11);
  });

  it('answers 400 naming the missing parameter and 404 for an unknown value set', async () => {
    const noCode = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: GENDER_VS })}`);
    expect([noCode.status, issues(noCode.body)[0].expression]).toEqual([400, ['code']]);
    const noUrl = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ system: GENDER, code: 'male' })}`);
    expect([noUrl.status, issues(noUrl.body)[0].expression]).toEqual([400, ['url']]);
    const unknown = await t.api.get(`/fhir/ValueSet/$validate-code?${q({ url: 'https://ehr.example.fr/ValueSet/nowhere', code: 'x' })}`);
    expect(unknown.status).toBe(404);
  });
});

describe('CodeSystem/$lookup', () => {
  it('looks up a v3 code: name, version, display, definition and its place in the hierarchy', async () => {
    const res = await t.api.get(`/fhir/CodeSystem/$lookup?${q({ system: V3_ACT_CODE, code: 'AMB' })}`);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('Parameters');
    expect([value(res.body, 'name'), value(res.body, 'version'), value(res.body, 'display')]).toEqual(['v3.ActCode', '2018-08-12', 'ambulatory']);
    expect(propertyValues(res.body, 'parent')).toEqual(['_ActEncounterCode']);
    const parent = await postJson(t, '/fhir/CodeSystem/$lookup', parameters({ name: 'coding', valueCoding: { system: V3_ACT_CODE, code: '_ActEncounterCode' } }));
    expect(parent.status).toBe(200);
    expect(propertyValues(parent.body, 'child')).toEqual(expect.arrayContaining(['AMB', 'EMER', 'IMP']));
    expect(propertyValues(parent.body, 'parent')).toEqual(['_ActCareProvisionCode']);
    expect(propertyValues(parent.body, 'notSelectable')).toStrictEqual([true]);
    expect(propertyValues(parent.body, 'definition')[0]).toContain('ActEncounterClass');
  });

  it('looks up a French code system from the packages, by version', async () => {
    const system = `${FR}/CodeSystem/fr-core-cs-location-type`;
    const res = await t.api.get(`/fhir/CodeSystem/$lookup?${q({ system, code: 'BAT' })}`);
    expect([res.status, value(res.body, 'display'), value(res.body, 'version')]).toEqual([200, 'Bâtiment', '2.2.0']);
    // FR Core 2.1.0 had other codes in this code system: the version pinned is the one looked up.
    const pinned = await t.api.get(`/fhir/CodeSystem/$lookup?${q({ system, code: 'ACC', version: '2.1.0' })}`);
    expect([pinned.status, value(pinned.body, 'version'), value(pinned.body, 'display')]).toEqual([200, '2.1.0', "Point d'accueil"]);
    const absent = await t.api.get(`/fhir/CodeSystem/$lookup?${q({ system, code: 'BAT', version: '2.1.0' })}`);
    expect(absent.status).toBe(404);
  });

  it('answers 404 for an unknown code or a system not held, 400 naming a missing parameter', async () => {
    const code = await t.api.get(`/fhir/CodeSystem/$lookup?${q({ system: V3_ACT_CODE, code: 'NOPE' })}`);
    expect(code.status).toBe(404);
    expect(issues(code.body)[0].diagnostics).toContain('NOPE');
    const system = await t.api.get(`/fhir/CodeSystem/$lookup?${q({ system: TRE_R11, code: 'MME' })}`);
    expect(system.status).toBe(404);
    expect(issues(system.body)[0].diagnostics).toContain(`does not hold the code system ${TRE_R11}`);
    const noCode = await t.api.get(`/fhir/CodeSystem/$lookup?${q({ system: V3_ACT_CODE })}`);
    expect([noCode.status, issues(noCode.body)[0].expression]).toEqual([400, ['code']]);
    const noSystem = await t.api.get(`/fhir/CodeSystem/$lookup?${q({ code: 'AMB' })}`);
    expect([noSystem.status, issues(noSystem.body)[0].expression]).toEqual([400, ['system']]);
  });
});

describe('CapabilityStatement', () => {
  it('advertises $expand, $validate-code and $lookup', async () => {
    const res = await t.api.get('/fhir/metadata');
    const ops = (type: string) => res.body.rest[0].resource.find((r: { type: string }) => r.type === type).operation.map((o: { name: string; definition: string }) => `${o.name} ${o.definition}`);
    expect(ops('ValueSet')).toEqual(expect.arrayContaining([
      'expand http://hl7.org/fhir/OperationDefinition/ValueSet-expand',
      'validate-code http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code',
    ]));
    expect(ops('CodeSystem')).toContain('lookup http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup');
    expect(ops('Patient').join()).not.toContain('expand');
  });
});
