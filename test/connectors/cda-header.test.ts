// CDA R2 header reading (CI-SIS lettre de liaison): identities, author, custodian, stay, codes; refusals.
import fs from 'node:fs';
import path from 'node:path';
import { CdaError, parseCdaHeader } from '../../src/connectors/cda/cda-header';
import { hl7DateTime } from '../../src/connectors/cda/hl7-time';

const sample = fs.readFileSync(path.resolve(__dirname, '../../fixtures/letters/lettre-de-liaison-cda.xml'));

describe('parseCdaHeader on the demo lettre de liaison', () => {
  const h = parseCdaHeader(sample);

  it('reads the patient: INS (1.2.250.1.213.1.4.8), IPP, strict traits', () => {
    expect(h.patient.ins).toEqual({ root: '1.2.250.1.213.1.4.8', extension: '143014520899282' });
    expect(h.patient.ids).toContainEqual({ root: '1.2.250.1.999.45.459900114.1', extension: 'IPP-0045871' });
    expect(h.patient).toMatchObject({ birthName: 'Fournier', given: ['Gérard'], gender: 'M', birthDate: '1943-01-30' });
  });

  it('reads the author (idNat_PS), the custodian (idNat_Struct → FINESS) and the stay', () => {
    expect(h.author).toMatchObject({ idNatPs: '819999900145', family: 'Garnier', given: 'Philippe' });
    expect(h.author.organizationIds).toEqual([{ root: '1.2.250.1.71.4.2.2', extension: '1459900114' }]);
    expect(h.custodian.finess).toBe('459900114');
    expect(h.encounter).toMatchObject({ start: '2026-11-14T10:15:00+01:00', end: '2026-11-20T15:00:00+01:00', facilityCode: { code: 'SA01' } });
    expect(h.practiceSetting?.code).toBe('ETABLISSEMENT');
  });

  it('reads code, title, date, confidentiality and identifiers of the document', () => {
    expect(h.code).toMatchObject({ code: '11490-0', codeSystem: '2.16.840.1.113883.6.1' });
    expect(h.title).toBe('Lettre de liaison à la sortie — cardiologie');
    expect(h.effectiveTime).toBe('2026-11-20T16:30:00+01:00');
    expect(h.confidentialityCode?.code).toBe('N');
    expect(h.documentId).toEqual({ root: '1.2.250.1.999.45.459900114.2', extension: 'LDL-2026-000417' });
    expect(h.versionNumber).toBe('1');
  });
});

describe('parseCdaHeader refusals and variants', () => {
  const cda = (inner: string) => `<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3">${inner}</ClinicalDocument>`;

  it('a malformed document is a malformed CdaError with the line', () => {
    const err = (() => {
      try {
        parseCdaHeader('<ClinicalDocument>\n<title>x</titl>\n</ClinicalDocument>');
      } catch (e) {
        return e as CdaError;
      }
    })();
    expect(err).toBeInstanceOf(CdaError);
    expect(err!.kind).toBe('malformed');
    expect(err!.line).toBe(2);
  });

  it('another root element is not a CDA; a DTD is refused before parsing', () => {
    expect(() => parseCdaHeader('<Patient/>')).toThrow(expect.objectContaining({ kind: 'not-cda' }));
    expect(() => parseCdaHeader('<!DOCTYPE lolz [<!ENTITY lol "lol">]><ClinicalDocument>&lol;</ClinicalDocument>')).toThrow(/DOCTYPE/);
  });

  it('namespace prefixes are ignored; an unqualified family is the birth name; no INS when only an IPP is given', () => {
    const h = parseCdaHeader(`<?xml version="1.0"?><v3:ClinicalDocument xmlns:v3="urn:hl7-org:v3"><v3:recordTarget><v3:patientRole>
      <v3:id root="1.2.3" extension="IPP1"/><v3:patient><v3:name><v3:given>Zoé</v3:given><v3:given>Marie</v3:given><v3:family>Lambert</v3:family></v3:name>
      <v3:administrativeGenderCode code="F"/><v3:birthTime value="19980115"/></v3:patient></v3:patientRole></v3:recordTarget></v3:ClinicalDocument>`);
    expect(h.patient).toMatchObject({ birthName: 'Lambert', given: ['Zoé', 'Marie'], gender: 'F', birthDate: '1998-01-15' });
    expect(h.patient.ins).toBeUndefined();
  });

  it('a used name (SP) is not the birth name; a custodian without idNat_Struct 1… has no FINESS', () => {
    const h = parseCdaHeader(cda(`<recordTarget><patientRole><patient><name><family qualifier="SP">Lefebvre</family><family qualifier="BR">Roussel</family></name></patient></patientRole></recordTarget>
      <custodian><assignedCustodian><representedCustodianOrganization><id root="1.2.250.1.71.4.2.2" extension="3123456789"/></representedCustodianOrganization></assignedCustodian></custodian>`));
    expect(h.patient.birthName).toBe('Roussel');
    expect(h.patient.usedName).toBe('Lefebvre');
    expect(h.custodian.finess).toBeUndefined();
  });
});

describe('hl7DateTime', () => {
  it.each([
    ['20261120163000+0100', '2026-11-20T16:30:00+01:00'],
    ['202611201630', '2026-11-20T16:30:00Z'],
    ['20261120', '2026-11-20'],
    ['202611', '2026-11'],
    ['2026', '2026'],
    ['2026-11-20', undefined],
    [undefined, undefined],
  ])('%s → %s', (input, out) => expect(hl7DateTime(input)).toBe(out));
});
