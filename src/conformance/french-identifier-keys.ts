// Check-key arithmetic and shape rules of French health identifiers. Pure functions, no FHIR.
// Each `check*` returns undefined when the value is valid, else a short reason in plain English.

const DIGITS = /^\d+$/;

/** Luhn sum of a digit string whose last digit is the key (weights 1,2,1,2... from the right). */
function luhnSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum;
}

export function isLuhnValid(digits: string): boolean {
  return DIGITS.test(digits) && luhnSum(digits) % 10 === 0;
}

/** Appends the Luhn key digit: used to build RPPS, SIREN, SIRET and FINESS numbers. */
export function luhnComplete(digitsWithoutKey: string): string {
  if (!DIGITS.test(digitsWithoutKey)) throw new Error(`luhnComplete: digits only, got '${digitsWithoutKey}'`);
  const sum = luhnSum(digitsWithoutKey + '0');
  return digitsWithoutKey + String((10 - (sum % 10)) % 10);
}

// ---- NIR / NIA (INS, NSS) -------------------------------------------------------------------

const NIR_SHAPE = /^\d{5}(\d{2}|2A|2B)\d{8}$/;

/** Key of a 13-character NIR; Corsica 2A/2B count as 19/18 (INSEE rule, as in python-stdnum fr.nir). */
export function nirKey(first13: string): string {
  if (!/^\d{5}(\d{2}|2A|2B)\d{6}$/.test(first13)) throw new Error(`nirKey: 13 characters expected, got '${first13}'`);
  const numeric = first13.slice(0, 5) + ({ '2A': '19', '2B': '18' }[first13.slice(5, 7)] ?? first13.slice(5, 7)) + first13.slice(7);
  // 13 digits < 2^53: exact in a double.
  return String(97 - (Number(numeric) % 97)).padStart(2, '0');
}

export function nirWithKey(first13: string): string {
  return first13 + nirKey(first13);
}

export function checkNir(value: string): string | undefined {
  if (!NIR_SHAPE.test(value)) {
    return `expected 13 characters (digits, 2A/2B allowed as department) followed by a 2-digit key, got ${value.length} characters`;
  }
  const expected = nirKey(value.slice(0, 13));
  const key = value.slice(13);
  return key === expected ? undefined : `key ${key} does not match the first 13 characters (expected ${expected}: 97 - number mod 97)`;
}

// ---- Professionals ---------------------------------------------------------------------------

export function checkRpps(value: string): string | undefined {
  if (!/^\d{11}$/.test(value)) return `expected 11 digits, got '${value}'`;
  return isLuhnValid(value) ? undefined : 'Luhn check digit (11th digit) is wrong';
}

/** ADELI: 9 characters, department first (2A/2B in Corsica). Its key rule is not published: shape only. */
export function checkAdeli(value: string): string | undefined {
  return /^(\d{2}|2A|2B)\d{7}$/.test(value) ? undefined : `expected 9 characters (department + 7 digits), got '${value}'`;
}

/**
 * idNat_PS: 8 + RPPS, 0 + ADELI. FR Core 2.2.0 (idNatPs.value) also lists the TRE_G08 prefixes
 * 1, 3, 4, 5, 6 for staff known only inside a structure: prefix + structure id + '/' + local id
 * (e.g. SAS example '3456780581/11242343'); those get a shape check only.
 */
export function checkIdNatPs(value: string): string | undefined {
  const prefix = value.charAt(0);
  const rest = value.slice(1);
  if (prefix === '8') return prefixed('8 + RPPS', checkRpps(rest));
  if (prefix === '0') return prefixed('0 + ADELI', checkAdeli(rest));
  if (/^[13456][0-9A-Z]+\/[^/\s]+$/.test(value)) return undefined;
  return `unknown form: expected 8 + RPPS (12 digits), 0 + ADELI (10 characters) or a structure-prefixed id '<1|3|4|5|6><structure>/<local id>', got '${value}'`;
}

// ---- Structures -------------------------------------------------------------------------------

/**
 * FINESS: 2-character department + 6 digits + Luhn key. For Corsica (2A/2B) we found no published
 * rule: the key is computed with the letter read as 0, i.e. on department 20 (Corsica's number
 * before 1976, still its postal prefix). A guess, shared by the generator and the check.
 */
function finessDigits(value: string): string {
  return value.replace(/^2[AB]/, '20');
}

export function finessWithKey(first8: string): string {
  if (!/^(\d{2}|2A|2B)\d{6}$/.test(first8)) throw new Error(`finessWithKey: 8 characters expected, got '${first8}'`);
  return first8 + luhnComplete(finessDigits(first8)).slice(-1);
}

export function checkFiness(value: string): string | undefined {
  if (!/^(\d{2}|2A|2B)\d{7}$/.test(value)) return `expected 9 characters (department, 6 digits, key), got '${value}'`;
  return isLuhnValid(finessDigits(value)) ? undefined : 'Luhn key (9th character) is wrong';
}

export function checkSiren(value: string): string | undefined {
  if (!/^\d{9}$/.test(value)) return `expected 9 digits, got '${value}'`;
  return isLuhnValid(value) ? undefined : 'Luhn check digit (9th digit) is wrong';
}

const LA_POSTE_SIREN = '356000000';
const LA_POSTE_HEAD_OFFICE = '35600000000048';

/**
 * SIRET: SIREN + 5-digit NIC, Luhn over the 14 digits. La Poste's establishments (SIREN 356000000)
 * use another rule since there are too many of them: the digit sum is a multiple of 5; only the
 * head office keeps a Luhn-valid SIRET (INSEE, also python-stdnum fr.siret).
 */
export function checkSiret(value: string): string | undefined {
  if (!/^\d{14}$/.test(value)) return `expected 14 digits, got '${value}'`;
  if (value.startsWith(LA_POSTE_SIREN) && value !== LA_POSTE_HEAD_OFFICE) {
    const sum = [...value].reduce((s, c) => s + Number(c), 0);
    return sum % 5 === 0 ? undefined : 'La Poste SIRET: the sum of the digits must be a multiple of 5';
  }
  const siren = checkSiren(value.slice(0, 9));
  if (siren) return `SIREN part: ${siren}`;
  return isLuhnValid(value) ? undefined : 'Luhn check digit (14th digit) is wrong';
}

/** RPPS rang (a liberal practice): 11-digit RPPS + 2 or 3-digit rank (FR Core 2.2.0); shape only. */
export function checkRppsRang(value: string): string | undefined {
  return /^\d{13,14}$/.test(value) ? undefined : `expected an 11-digit RPPS followed by a 2 or 3-digit rank, got '${value}'`;
}

/** idNat_Struct: 1 + FINESS, 2 + SIREN, 3 + SIRET, 4 + RPPS rang, 0 + ADELI rang (FR Core 2.2.0). */
export function checkIdNatStruct(value: string): string | undefined {
  const rest = value.slice(1);
  switch (value.charAt(0)) {
    case '1':
      return prefixed('1 + FINESS', checkFiness(rest));
    case '2':
      return prefixed('2 + SIREN', checkSiren(rest));
    case '3':
      return prefixed('3 + SIRET', checkSiret(rest));
    case '4':
      return prefixed('4 + RPPS rang', checkRppsRang(rest));
    case '0':
      // ADELI rang: 9-character ADELI + rank; the rank length is not published, so 1 to 3 digits.
      return /^(\d{2}|2A|2B)\d{7}\d{1,3}$/.test(rest) ? undefined : `0 + ADELI rang: expected a 9-character ADELI followed by a rank, got '${value}'`;
    default:
      return `unknown prefix '${value.charAt(0)}': expected 1 (FINESS), 2 (SIREN), 3 (SIRET), 4 (RPPS rang) or 0 (ADELI rang)`;
  }
}

function prefixed(form: string, reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : `${form}: ${reason}`;
}
