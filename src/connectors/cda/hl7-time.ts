// HL7 v3 TS data type (CDA R2, ISO 21090 precursor) → FHIR R4 date / dateTime (§2.24.0.1 primitive types).

const TS = /^(\d{4})(\d{2})?(\d{2})?(?:(\d{2})(\d{2})?(\d{2})?(?:\.\d+)?)?([+-]\d{4})?$/;

/** `20250312143000+0100` → `2025-03-12T14:30:00+01:00`; a date alone stays a date; undefined when unreadable. */
export function hl7DateTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = TS.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, tz] = m;
  if (!mo) return y;
  if (!d) return `${y}-${mo}`;
  const date = `${y}-${mo}-${d}`;
  if (!h) return date;
  // FHIR requires a zone once a time is given; a CDA time without one is read as UTC rather than guessed local.
  const zone = tz ? `${tz.slice(0, 3)}:${tz.slice(3)}` : 'Z';
  return `${date}T${h}:${mi ?? '00'}:${s ?? '00'}${zone}`;
}
