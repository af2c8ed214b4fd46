// Checks of FHIR R4 primitive values in their JSON form: JSON type, R4 regex, calendar validity.
// Each checker returns a diagnostic sentence, or undefined when the value is valid.

export type PrimitiveCheck = (value: unknown) => string | undefined;

const MAX_STRING = 1024 * 1024;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

// Regexes of the R4 primitive StructureDefinitions, anchored.
const YEAR = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)';
const MONTH = '(0[1-9]|1[0-2])';
const DAY = '(0[1-9]|[1-2][0-9]|3[0-1])';
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?';
const ZONE = '(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))';
const DATE_RE = new RegExp(`^${YEAR}(-${MONTH}(-${DAY})?)?$`);
const DATETIME_RE = new RegExp(`^${YEAR}(-${MONTH}(-${DAY}(T${TIME}${ZONE})?)?)?$`);
const INSTANT_RE = new RegExp(`^${YEAR}-${MONTH}-${DAY}T${TIME}${ZONE}$`);
const TIME_RE = new RegExp(`^${TIME}$`);
const CODE_RE = /^[^\s]+(\s[^\s]+)*$/;
const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
const URI_RE = /^\S*$/;
const OID_RE = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const UUID_RE = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const XHTML_RE = /^\s*<div[\s/>]/;

/** Quote a value for a message without dumping megabytes into it. */
export function show(value: unknown): string {
  const s = typeof value === 'string' ? value : String(JSON.stringify(value));
  return s.length > 60 ? `'${s.slice(0, 57)}...'` : `'${s}'`;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function wrongJson(type: string, expected: string, value: unknown): string {
  return `Invalid ${type}: expected a JSON ${expected}, found a JSON ${jsonType(value)}`;
}

/** Base check shared by all string-based primitives: JSON string, not empty, at most 1 MB. */
function stringBase(type: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return wrongJson(type, 'string', value);
  if (value.length === 0) return `Invalid ${type}: empty strings are not allowed in FHIR JSON`;
  if (value.length > MAX_STRING) return `Invalid ${type}: longer than 1 MB`;
  return undefined;
}

function stringMatching(type: string, re: RegExp, expected: string): PrimitiveCheck {
  return (value) =>
    stringBase(type, value) ??
    (re.test(value as string) ? undefined : `Invalid ${type} ${show(value)}: expected ${expected}`);
}

function integerIn(type: string, min: number, expected: string): PrimitiveCheck {
  return (value) => {
    if (typeof value !== 'number') return wrongJson(type, 'number', value);
    if (!Number.isInteger(value) || value < min || value > INT_MAX) {
      return `Invalid ${type} ${show(value)}: expected ${expected}`;
    }
    return undefined;
  };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The regexes allow day 31 in any month; reject days the calendar lacks. */
function calendarCheck(type: string, value: string): string | undefined {
  if (value.length < 10) return undefined;
  const year = +value.slice(0, 4);
  const month = +value.slice(5, 7);
  const day = +value.slice(8, 10);
  if (day <= daysInMonth(year, month)) return undefined;
  return `Invalid ${type} ${show(value)}: not a valid calendar date (month ${month} of ${year} has ${daysInMonth(year, month)} days)`;
}

function dateLike(type: string, re: RegExp, expected: string): PrimitiveCheck {
  const base = stringMatching(type, re, expected);
  return (value) => base(value) ?? calendarCheck(type, value as string);
}

/** Linear scan instead of the R4 regex, which backtracks on megabyte attachments. */
function base64(value: unknown): string | undefined {
  const err = stringBase('base64Binary', value);
  if (err) return err;
  const s = value as string;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (n % 4 !== 0) break; // whitespace is only allowed between 4-character groups
      continue;
    }
    const ok =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61;
    if (!ok) return `Invalid base64Binary ${show(s)}: unexpected character at offset ${i}`;
    n++;
  }
  if (n === 0 || n % 4 !== 0) {
    return `Invalid base64Binary ${show(s)}: expected base64 text in groups of 4 characters`;
  }
  return undefined;
}

const stringCheck: PrimitiveCheck = (value) => stringBase('string', value);

export const PRIMITIVE_CHECKS: Readonly<Record<string, PrimitiveCheck>> = {
  boolean: (value) => (typeof value === 'boolean' ? undefined : wrongJson('boolean', 'boolean (true or false)', value)),
  integer: integerIn('integer', INT_MIN, 'a 32-bit signed integer'),
  positiveInt: integerIn('positiveInt', 1, 'an integer from 1 to 2147483647'),
  unsignedInt: integerIn('unsignedInt', 0, 'an integer from 0 to 2147483647'),
  decimal: (value) =>
    typeof value === 'number' && Number.isFinite(value) ? undefined : wrongJson('decimal', 'number', value),
  string: stringCheck,
  markdown: (value) => stringBase('markdown', value),
  code: stringMatching('code', CODE_RE, 'a code without leading, trailing or repeated whitespace'),
  id: stringMatching('id', ID_RE, '1 to 64 characters among A-Z, a-z, 0-9, "-" and "."'),
  uri: stringMatching('uri', URI_RE, 'a URI without whitespace'),
  url: stringMatching('url', URI_RE, 'a URL without whitespace'),
  canonical: stringMatching('canonical', URI_RE, 'a canonical URL without whitespace'),
  oid: stringMatching('oid', OID_RE, 'urn:oid: followed by a dotted OID'),
  uuid: stringMatching('uuid', UUID_RE, 'urn:uuid: followed by a lowercase UUID'),
  date: dateLike('date', DATE_RE, 'YYYY, YYYY-MM or YYYY-MM-DD'),
  dateTime: dateLike('dateTime', DATETIME_RE, 'YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone'),
  instant: dateLike('instant', INSTANT_RE, 'YYYY-MM-DDThh:mm:ss(.sss) with a time zone'),
  time: stringMatching('time', TIME_RE, 'hh:mm:ss(.sss)'),
  base64Binary: base64,
  xhtml: stringMatching('xhtml', XHTML_RE, 'XHTML starting with <div'),
};

export function isPrimitiveType(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(PRIMITIVE_CHECKS, code);
}
