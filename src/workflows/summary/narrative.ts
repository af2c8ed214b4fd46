// Section narratives (FHIR R4 §2.23 Narrative, §2.23.0.1 the limited XHTML): a table per section,
// every string from the data escaped, so a stored value can never become markup.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

export const XHTML_NS = 'http://www.w3.org/1999/xhtml';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The readable text of a CodeableConcept: its text, else the first display, else the first code. */
export function conceptText(cc: Json | undefined): string {
  if (!cc) return '';
  const coding = (cc.coding ?? []) as Json[];
  return cc.text ?? coding.find((c) => c.display)?.display ?? coding[0]?.code ?? '';
}

const day = (s: unknown) => (typeof s === 'string' ? s.slice(0, 10) : '');
const period = (p: Json | undefined) => (p ? [day(p.start), day(p.end)].filter(Boolean).join(' → ') : '');

function quantity(o: Json): string {
  const q = o.valueQuantity;
  if (q) return `${q.value ?? ''} ${q.unit ?? q.code ?? ''}`.trim();
  if (o.component) return (o.component as Json[]).map((c) => `${conceptText(c.code)}: ${quantity(c)}`).join(' ; ');
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept);
  return o.valueString ?? '';
}

/** The three cells a resource shows in its section table. */
export function cells(r: Json): string[] {
  switch (r.resourceType) {
    case 'Condition':
      return [conceptText(r.code), conceptText(r.clinicalStatus), day(r.onsetDateTime ?? r.onsetPeriod?.start ?? r.recordedDate)];
    case 'MedicationRequest':
      return [conceptText(r.medicationCodeableConcept) || r.medicationReference?.display || r.medicationReference?.reference || '', r.status ?? '', day(r.authoredOn)];
    case 'MedicationStatement':
      return [conceptText(r.medicationCodeableConcept) || r.medicationReference?.display || r.medicationReference?.reference || '', r.status ?? '', day(r.effectiveDateTime ?? r.effectivePeriod?.start ?? r.dateAsserted)];
    case 'AllergyIntolerance':
      return [conceptText(r.code), conceptText(r.clinicalStatus), r.criticality ?? ''];
    case 'Immunization':
      return [conceptText(r.vaccineCode), r.status ?? '', day(r.occurrenceDateTime ?? r.occurrenceString)];
    case 'CareTeam':
      return [r.name ?? conceptText(r.category?.[0]), r.status ?? '', ((r.participant ?? []) as Json[]).map((p) => p.member?.display ?? p.member?.reference ?? '').filter(Boolean).join(', ')];
    case 'CarePlan':
      return [r.title ?? conceptText(r.category?.[0]), r.status ?? '', period(r.period)];
    case 'DocumentReference':
      return [r.description ?? conceptText(r.type), r.status ?? '', day(r.date)];
    case 'Observation':
      return [conceptText(r.code), quantity(r), day(r.effectiveDateTime ?? r.effectivePeriod?.start ?? r.issued)];
    default:
      return [`${r.resourceType}/${r.id}`, r.status ?? '', ''];
  }
}

/** The section's div: a table, or one sentence when the section is empty. */
export function sectionDiv(columns: string[], rows: Json[], emptyText: string): string {
  if (rows.length === 0) return `<div xmlns="${XHTML_NS}"><p>${escapeXml(emptyText)}</p></div>`;
  const head = `<thead><tr>${columns.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr></thead>`;
  const body = rows.map((r) => `<tr>${cells(r).map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`).join('');
  return `<div xmlns="${XHTML_NS}"><table>${head}<tbody>${body}</tbody></table></div>`;
}
