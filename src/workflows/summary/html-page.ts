// A document rendered as one HTML page (FHIR R4 §3.3.3 "presenting a document": the Composition's narrative,
// then each section's narrative, in order). Narratives built by the hub are already escaped XHTML.
import type { Composition } from '@medplum/fhirtypes';
import { escapeXml } from './narrative';

export function wantsHtml(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return /^(html|text\/html)$/i.test(format);
  if (!accept) return false;
  // HTML only when the client prefers it to JSON: a browser's Accept lists text/html first.
  const first = accept.split(',')[0].split(';')[0].trim().toLowerCase();
  return first === 'text/html';
}

export function documentHtml(composition: Composition): string {
  const title = composition.title ?? 'Document';
  const sections = (composition.section ?? [])
    .map((s) => `<section><h2>${escapeXml(s.title ?? '')}</h2>${s.text?.div ?? ''}</section>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}th,td{border:1px solid #999;padding:.3em .6em;text-align:left}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<p>Date : ${escapeXml(composition.date ?? '')}</p>
${composition.text?.div ?? ''}
${sections}
</body>
</html>
`;
}
