// Date values as ranges (FHIR R4 §3.1.1.4.2 / §2.24.0.1): "2015" covers the whole year, "2015-03" the month...
// Values without a time zone are taken as UTC, the hub's time zone.
const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export type DatePrecision = 'year' | 'month' | 'day' | 'minute' | 'second' | 'millisecond';

export interface DateRange {
  /** First instant covered, ISO 8601 UTC. */
  lo: string;
  /** Last instant covered (inclusive, millisecond precision), ISO 8601 UTC. */
  hi: string;
  precision: DatePrecision;
}

function offsetMinutes(tz: string | undefined): number {
  if (!tz || tz === 'Z') return 0;
  const sign = tz[0] === '-' ? -1 : 1;
  return sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
}

/** Parses a FHIR date, dateTime or instant; undefined when it is not one (or not a real calendar date). */
export function dateRange(value: string): DateRange | undefined {
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : 1;
  const day = d ? Number(d) : 1;
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) return undefined;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const start = Date.UTC(year, month - 1, day, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0, ms);
  const shift = offsetMinutes(tz) * 60_000;
  let precision: DatePrecision;
  let end: number;
  if (!mo) {
    precision = 'year';
    end = Date.UTC(year + 1, 0, 1);
  } else if (!d) {
    precision = 'month';
    end = Date.UTC(year, month, 1);
  } else if (h === undefined) {
    precision = 'day';
    end = start + 86_400_000;
  } else if (s === undefined) {
    precision = 'minute';
    end = start + 60_000;
  } else if (!frac) {
    precision = 'second';
    end = start + 1000;
  } else {
    precision = 'millisecond';
    end = start + 1;
  }
  return { lo: new Date(start - shift).toISOString(), hi: new Date(end - shift - 1).toISOString(), precision };
}
