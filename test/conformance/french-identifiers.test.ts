import {
  checkFiness,
  checkFrenchIdentifier,
  checkFrenchIdentifiers,
  checkIdNatPs,
  checkIdNatStruct,
  checkNir,
  checkRpps,
  checkSiren,
  checkSiret,
  finessWithKey,
  FR_IDENTIFIER_SYSTEMS as S,
  isLuhnValid,
  luhnComplete,
  nirKey,
  nirWithKey,
} from '../../src/conformance/french-identifiers';

const INS_TYPE = { coding: [{ system: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203', code: 'INS-NIR' }] };

describe('generators', () => {
  it('computes the NIR key as 97 - number mod 97', () => {
    expect(nirKey('1370476243484')).toBe('15'); // 1370476243484 mod 97 = 82
    expect(nirKey('1234567890122')).toBe('12');
    expect(nirWithKey('2620875032039')).toBe('262087503203977');
  });

  it('pads NIR keys to two digits and can yield 97', () => {
    // A multiple of 97 gives 97 - 0 = 97.
    const multiple = 1000000000000 + (97 - (1000000000000 % 97));
    expect(nirKey(String(multiple))).toBe('97');
    // 1000000000000 mod 97 = 50, so 1000000000046 mod 97 = 96 and its key is 01.
    expect(nirKey('1000000000046')).toBe('01');
  });

  it('appends a Luhn digit', () => {
    expect(luhnComplete('7992739871')).toBe('79927398713');
    expect(luhnComplete('73282932')).toBe('732829320');
    expect(isLuhnValid(luhnComplete('1000000000'))).toBe(true);
    expect(() => luhnComplete('12A')).toThrow();
  });

  it('builds Corsican FINESS numbers that pass the check', () => {
    const ajaccio = finessWithKey('2A000001');
    expect(ajaccio).toMatch(/^2A\d{7}$/);
    expect(checkFiness(ajaccio)).toBeUndefined();
    expect(checkFiness(finessWithKey('2B000123'))).toBeUndefined();
    // The letter counts as 0 (department 20): same key as the numeric 20 prefix.
    expect(finessWithKey('2A000001').slice(-1)).toBe(luhnComplete('20000001').slice(-1));
  });
});

describe('INS NIR / NIA', () => {
  it('rejects the FR Core example INS 123456789012244 (key should be 12)', () => {
    expect(checkNir('123456789012244')).toMatch(/key 44 .*expected 12/);
    expect(checkNir('123456789012212')).toBeUndefined();
  });

  it('accepts known valid NIRs and catches a one-digit change', () => {
    expect(checkNir('137047624348415')).toBeUndefined();
    expect(checkNir('262087503203977')).toBeUndefined();
    expect(checkNir('295109912611193')).toBeUndefined(); // born abroad (99)
    expect(checkNir('147047624348415')).toMatch(/expected 10/);
  });

  it('handles Corsica: 2A counts as 19, 2B as 18', () => {
    expect(checkNir('253072A07300443')).toBeUndefined();
    expect(checkNir('253072B07300470')).toBeUndefined();
    expect(nirKey('253072A073004')).toBe('43');
    expect(checkNir('253072B07300443')).toMatch(/expected 70/);
    // Reading 2A as 20 would give another key: the 19 substitution matters.
    expect(nirKey('2530720073004')).not.toBe('43');
  });

  it('reports shape errors without echoing the number', () => {
    for (const bad of ['12345678901224', '1234567890122445', '253072C07300443', '2A3072007300443', ' 23456789012244']) {
      const reason = checkNir(bad);
      expect(reason).toMatch(/expected 13 characters/);
      expect(reason).not.toContain(bad.trim());
    }
  });

  it('applies to every INS and billing NIR system', () => {
    for (const system of [S.insNir, S.insNia, S.insNirTest, S.insNirDemo, S.nssNir, S.nssNia]) {
      expect(checkFrenchIdentifier(system, '123456789012244')).toMatch(/key/);
      expect(checkFrenchIdentifier(system, '123456789012212')).toBeUndefined();
    }
  });
});

describe('professionals', () => {
  it('checks RPPS: 11 digits with a Luhn key', () => {
    expect(checkRpps('10002909371')).toBeUndefined();
    expect(checkRpps(luhnComplete('1999990001'))).toBeUndefined();
    expect(checkRpps('10101201234')).toMatch(/Luhn/); // FR Core example, fictitious
    expect(checkRpps('1011848351')).toMatch(/11 digits/);
    expect(checkRpps('1000290937A')).toMatch(/11 digits/);
  });

  it('checks idNat_PS 8 + RPPS', () => {
    expect(checkIdNatPs('810002909371')).toBeUndefined();
    expect(checkIdNatPs('810101201234')).toMatch(/^8 \+ RPPS: .*Luhn/);
    expect(checkIdNatPs('81000290937')).toMatch(/^8 \+ RPPS: expected 11 digits/);
  });

  it('checks idNat_PS 0 + ADELI (shape only)', () => {
    expect(checkIdNatPs('0751234567')).toBeUndefined();
    expect(checkIdNatPs('02A1234567')).toBeUndefined();
    expect(checkIdNatPs('075123456')).toMatch(/^0 \+ ADELI/);
  });

  it('accepts structure-prefixed idNat_PS (FR Core 2.2.0, TRE_G08) and rejects other prefixes', () => {
    expect(checkIdNatPs('3456780581/11242343')).toBeUndefined();
    expect(checkIdNatPs('3456780581')).toMatch(/unknown form/);
    for (const bad of ['712345678901', '9123', '', '2123/45']) expect(checkIdNatPs(bad)).toMatch(/unknown form/);
  });
});

describe('structures', () => {
  it('checks FINESS', () => {
    expect(checkFiness('350005179')).toBeUndefined(); // FR Core FINEJ example
    expect(checkFiness('950047225')).toBeUndefined();
    expect(checkFiness('754567860')).toMatch(/Luhn/);
    expect(checkFiness('35000517')).toMatch(/9 characters/);
    expect(checkFiness('2C0000017')).toMatch(/9 characters/);
    const corsica = finessWithKey('2B000123');
    expect(checkFiness(corsica.slice(0, 8) + String((Number(corsica[8]) + 1) % 10))).toMatch(/Luhn/);
  });

  it('checks each idNat_Struct prefix', () => {
    expect(checkIdNatStruct('1950047225')).toBeUndefined();
    expect(checkIdNatStruct('1754567860')).toMatch(/^1 \+ FINESS: .*Luhn/);
    expect(checkIdNatStruct('2264403106')).toBeUndefined();
    expect(checkIdNatStruct('2264403107')).toMatch(/^2 \+ SIREN/);
    expect(checkIdNatStruct('334173748400020')).toBeUndefined();
    expect(checkIdNatStruct('334173748400021')).toMatch(/^3 \+ SIRET/);
    expect(checkIdNatStruct('410005531586003')).toBeUndefined();
    expect(checkIdNatStruct('41000553158')).toMatch(/^4 \+ RPPS rang/);
    expect(checkIdNatStruct('0751234567001')).toBeUndefined();
    expect(checkIdNatStruct('075123')).toMatch(/ADELI rang/);
    expect(checkIdNatStruct('5123456789')).toMatch(/unknown prefix '5'/);
  });

  it('checks SIREN and SIRET with Luhn', () => {
    expect(checkSiren('732829320')).toBeUndefined();
    expect(checkSiren('404833048')).toBeUndefined();
    expect(checkSiren('404833047')).toMatch(/Luhn/);
    expect(checkSiren('40483304')).toMatch(/9 digits/);
    expect(checkSiret('73282932000074')).toBeUndefined();
    expect(checkSiret('73282932000079')).toMatch(/Luhn/);
    // Luhn-valid over 14 digits but built on an invalid SIREN.
    expect(checkSiret(luhnComplete('4048330470001'))).toMatch(/SIREN part/);
  });

  it('applies the La Poste rule: digit sum multiple of 5, head office Luhn', () => {
    expect(checkSiren('356000000')).toBeUndefined();
    expect(checkSiret('35600000000048')).toBeUndefined();
    expect(isLuhnValid('35600000012341')).toBe(false);
    expect(checkSiret('35600000012341')).toBeUndefined(); // 3+5+6+1+2+3+4+1 = 25
    expect(checkSiret('35600000012342')).toMatch(/La Poste/);
  });

  it('uses the identifier type, then the length, for https://sirene.fr', () => {
    expect(checkFrenchIdentifier(S.sirene, '263500076')).toBeUndefined();
    expect(checkFrenchIdentifier(S.sirene, '73282932000074')).toBeUndefined();
    expect(checkFrenchIdentifier(S.sirene, '26350007609999', ['SIREN'])).toMatch(/SIREN: expected 9 digits/);
    expect(checkFrenchIdentifier(S.sirene, '2635000760')).toMatch(/9 digits \(SIREN\) or 14/);
  });

  it('ignores systems it does not know', () => {
    expect(checkFrenchIdentifier('http://sirene.fr', 'anything')).toBeUndefined();
    expect(checkFrenchIdentifier('https://rppsrang.esante.gouv.fr', 'F754567860')).toBeUndefined();
  });
});

describe('checkFrenchIdentifiers (walking resources)', () => {
  it('reports a bad INS with an indexed path, warning by default', () => {
    const patient = {
      resourceType: 'Patient',
      identifier: [
        { system: 'urn:oid:1.2.250.1.999.1', value: 'IPP-42' },
        { use: 'official', type: INS_TYPE, system: S.insNir, value: '123456789012244' },
      ],
    };
    expect(checkFrenchIdentifiers(patient)).toEqual([
      {
        severity: 'warning',
        code: 'value',
        expression: 'Patient.identifier[1].value',
        diagnostics: expect.stringMatching(/^INS-NIR identifier \(urn:oid:1\.2\.250\.1\.213\.1\.4\.8\): key 44/),
      },
    ]);
    expect(checkFrenchIdentifiers(patient, { severity: 'error' })[0].severity).toBe('error');
  });

  it('finds identifiers in contained resources, references and extensions', () => {
    const appointment = {
      resourceType: 'Appointment',
      contained: [{ resourceType: 'Practitioner', id: 'p', identifier: [{ system: S.rpps, value: '10101201234' }] }],
      extension: [{ url: 'http://example.org/x', valueIdentifier: { system: S.finess, value: '754567860' } }],
      participant: [
        { actor: { reference: '#p' } },
        { actor: { identifier: { system: S.idNatPs, value: '810101201234' }, display: 'Dr Leclerc' } },
      ],
    };
    const issues = checkFrenchIdentifiers(appointment);
    expect(issues.map((i) => i.expression)).toEqual([
      'Appointment.contained[0].identifier[0].value',
      'Appointment.extension[0].valueIdentifier.value',
      'Appointment.participant[1].actor.identifier.value',
    ]);
    expect(issues[0].diagnostics).toMatch(/^RPPS identifier/);
    expect(issues[1].diagnostics).toMatch(/^FINESS identifier/);
    expect(issues[2].diagnostics).toMatch(/^idNat_PS identifier/);
  });

  it('gives Bundle entry paths from the Bundle root', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', identifier: [{ system: S.insNir, value: '137047624348415' }] } },
        { resource: { resourceType: 'Organization', identifier: [{ system: S.sirene, value: '732829320' }] } },
        {
          resource: {
            resourceType: 'Organization',
            identifier: [{ system: S.idNatStruct, value: '1754567860' }],
            contained: [{ resourceType: 'Organization', identifier: [{ system: S.sirene, value: '73282932000079' }] }],
          },
          request: { method: 'PUT', url: 'Organization/x' },
        },
      ],
    };
    expect(checkFrenchIdentifiers(bundle).map((i) => i.expression)).toEqual([
      'Bundle.entry[2].resource.identifier[0].value',
      'Bundle.entry[2].resource.contained[0].identifier[0].value',
    ]);
  });

  it('reports nothing for a resource without French identifiers', () => {
    const observation = {
      resourceType: 'Observation',
      status: 'final',
      identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0c3e2b4e-4a8f-4d0e-9f5e-1f2a3b4c5d6e' }],
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
      subject: { reference: 'Patient/1', identifier: { system: 'http://example.org/mrn', value: '123' } },
      valueQuantity: { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      performer: [{ display: 'x' }],
      note: [{ text: 'https://rpps.esante.gouv.fr' }],
      extension: [{ url: 'http://example.org/t', valueContactPoint: { system: 'phone', value: '02 61 91 00 00' } }],
    };
    expect(checkFrenchIdentifiers(observation)).toEqual([]);
    expect(checkFrenchIdentifiers({})).toEqual([]);
  });

  it('reports nothing for valid French identifiers of every kind', () => {
    const org = {
      resourceType: 'Organization',
      identifier: [
        { system: S.finess, value: '350005179' },
        { system: S.idNatStruct, value: '1350005179' },
        { system: S.sirene, value: '263500076' },
        { system: S.sirene, value: '35600000012341' },
        { system: S.rpps, value: '10002909371' },
        { system: S.idNatPs, value: '810002909371' },
        { system: S.insNir, value: '253072A07300443' },
      ],
    };
    expect(checkFrenchIdentifiers(org)).toEqual([]);
  });
});
