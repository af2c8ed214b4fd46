// The patient summary Composition (FHIR R4 §2.42 Composition; IPS and the French VSM as models): one section per
// SECTIONS entry, each with its generated narrative, its entries, or an emptyReason when nothing was found.
import type { Composition, CompositionSection, Device } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import type { HubContext } from '../../fhir/hub-context';
import type { SearchRow } from '../../fhir/search/execute';
import { sectionDiv, XHTML_NS, escapeXml } from './narrative';
import { SECTIONS } from './sections';

export const SUMMARY_PROFILE = 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-patient-summary';
export const SUMMARY_TYPE = { system: 'http://loinc.org', code: '60591-5', display: 'Patient summary Document' };
const EMPTY_REASON = 'http://terminology.hl7.org/CodeSystem/list-empty-reason';

/** The hub as author: contained, so the document names its producer without a stored Device to keep in sync. */
export function hubDevice(): Device {
  return { resourceType: 'Device', id: 'hub', deviceName: [{ name: 'fhir-hub', type: 'manufacturer-name' }], type: { text: 'Plateforme de coordination fhir-hub' } };
}

export interface BuiltSummary {
  composition: Composition;
  /** The patient and every section entry, for the document Bundle. */
  rows: SearchRow[];
}

export async function buildSummary(ctx: HubContext, q: Queryable, patient: SearchRow): Promise<BuiltSummary> {
  const rows: SearchRow[] = [patient];
  const seen = new Set([`Patient/${patient.id}`]);
  const sections: CompositionSection[] = [];
  for (const spec of SECTIONS) {
    const found = await spec.find(ctx, q, patient.id);
    const parsed = found.map((r) => JSON.parse(r.content) as Record<string, unknown>);
    const section: CompositionSection = {
      title: spec.title,
      code: { coding: [spec.code], text: spec.title },
      text: { status: 'generated', div: sectionDiv(spec.columns, parsed, 'Aucune information disponible') },
    };
    if (found.length > 0) section.entry = found.map((r) => ({ reference: `${r.resType}/${r.id}` }));
    else section.emptyReason = { coding: [{ system: EMPTY_REASON, code: 'unavailable', display: 'Unavailable' }] };
    sections.push(section);
    for (const r of found) if (!seen.has(`${r.resType}/${r.id}`)) seen.add(`${r.resType}/${r.id}`), rows.push(r);
  }
  const now = ctx.now().toISOString();
  const name = patientName(JSON.parse(patient.content));
  const composition: Composition = {
    resourceType: 'Composition',
    id: globalThis.crypto.randomUUID(),
    meta: { profile: [SUMMARY_PROFILE] },
    text: { status: 'generated', div: `<div xmlns="${XHTML_NS}"><p>Synthèse médicale de ${escapeXml(name)}, produite le ${escapeXml(now.slice(0, 10))}</p></div>` },
    contained: [hubDevice()],
    status: 'final',
    type: { coding: [SUMMARY_TYPE], text: 'Synthèse médicale' },
    subject: { reference: `Patient/${patient.id}`, display: name || undefined },
    date: now,
    author: [{ reference: '#hub', display: 'fhir-hub' }],
    title: `Synthèse médicale${name ? ` — ${name}` : ''}`,
    confidentiality: 'N',
    section: sections,
  };
  return { composition, rows };
}

function patientName(p: { name?: { text?: string; family?: string; given?: string[] }[] }): string {
  const n = p.name?.[0];
  if (!n) return '';
  return n.text ?? [...(n.given ?? []), n.family ?? ''].join(' ').trim();
}
