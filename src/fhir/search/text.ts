// String search folding (FHIR R4 §3.1.1.4.7): case- and accent-insensitive comparison.
const COMBINING_MARKS = /[\u0300-\u036f]/g;

export function foldText(s: string): string {
  return s.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase();
}
