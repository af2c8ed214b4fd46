// Pure parts of the summary documents: XHTML escaping of narratives, references found in a Composition.
import { referencesIn } from '../../../src/workflows/summary/document-bundle';
import { escapeXml, sectionDiv } from '../../../src/workflows/summary/narrative';
import { twelveMonthsBefore } from '../../../src/workflows/summary/sections';

const BASE = 'https://hub.test/fhir';

describe('narratives', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('a table with one row per resource, every cell escaped; one sentence when empty', () => {
    const div = sectionDiv(['Problème', 'Statut', 'Début'], [{ resourceType: 'Condition', code: { text: '<b>HTA</b>' }, clinicalStatus: { coding: [{ code: 'active' }] }, onsetDateTime: '2020-03-04T10:00:00Z' }], 'Rien');
    expect(div).toBe('<div xmlns="http://www.w3.org/1999/xhtml"><table><thead><tr><th>Problème</th><th>Statut</th><th>Début</th></tr></thead><tbody><tr><td>&lt;b&gt;HTA&lt;/b&gt;</td><td>active</td><td>2020-03-04</td></tr></tbody></table></div>');
    expect(sectionDiv(['A'], [], 'Rien <ici>')).toBe('<div xmlns="http://www.w3.org/1999/xhtml"><p>Rien &lt;ici&gt;</p></div>');
  });
});

describe('references of a document', () => {
  it('finds relative and absolute references on this server, without versions, contained or foreign ones', () => {
    const refs = referencesIn(
      {
        subject: { reference: 'Patient/p1' },
        author: [{ reference: '#hub' }, { reference: `${BASE}/Practitioner/gp/_history/3` }],
        custodian: { reference: 'https://elsewhere.test/fhir/Organization/o1' },
        section: [{ entry: [{ reference: 'Condition/c1' }, { reference: 'urn:uuid:0b2e' }], section: [{ entry: [{ reference: 'Observation/o1' }] }] }],
      },
      BASE,
    );
    expect([...refs].sort()).toEqual(['Condition/c1', 'Observation/o1', 'Patient/p1', 'Practitioner/gp']);
  });

  it('letters window: twelve months back, to the instant', () => {
    expect(twelveMonthsBefore(new Date('2026-11-25T08:00:00Z'))).toBe('2025-11-25T08:00:00.000Z');
  });
});
