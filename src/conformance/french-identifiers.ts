// French identifier checks (INS, RPPS, idNat_PS, FINESS, idNat_Struct, SIREN/SIRET) over any resource.
// A failed key is a warning by default, never a silent pass: official examples use fictitious numbers.
import type { Issue } from './issue';
import {
  checkFiness,
  checkIdNatPs,
  checkIdNatStruct,
  checkNir,
  checkRpps,
  checkSiren,
  checkSiret,
} from './french-identifier-keys';

export type { Issue };
export {
  checkAdeli,
  checkFiness,
  checkIdNatPs,
  checkIdNatStruct,
  checkNir,
  checkRpps,
  checkRppsRang,
  checkSiren,
  checkSiret,
  finessWithKey,
  isLuhnValid,
  luhnComplete,
  nirKey,
  nirWithKey,
} from './french-identifier-keys';

/** Identifier systems, exact as in FR Core 2.2.0 (SIREN and SIRET share https://sirene.fr). */
export const FR_IDENTIFIER_SYSTEMS = {
  insNir: 'urn:oid:1.2.250.1.213.1.4.8',
  insNia: 'urn:oid:1.2.250.1.213.1.4.9',
  insNirTest: 'urn:oid:1.2.250.1.213.1.4.10',
  insNirDemo: 'urn:oid:1.2.250.1.213.1.4.11',
  nssNir: 'urn:oid:1.2.250.1.213.1.4.13',
  nssNia: 'urn:oid:1.2.250.1.213.1.4.14',
  rpps: 'https://rpps.esante.gouv.fr',
  idNatPs: 'urn:oid:1.2.250.1.71.4.2.1',
  finess: 'https://finess.esante.gouv.fr',
  idNatStruct: 'urn:oid:1.2.250.1.71.4.2.2',
  sirene: 'https://sirene.fr',
} as const;

type Check = (value: string, typeCodes: string[]) => string | undefined;

interface Rule {
  kind: string;
  check: Check;
}

/** SIREN or SIRET: the identifier type says which when present, else the length does. */
function checkSirene(value: string, typeCodes: string[]): string | undefined {
  const tagged = typeCodes.includes('SIRET') ? 'SIRET' : typeCodes.includes('SIREN') ? 'SIREN' : undefined;
  const kind = tagged ?? (value.length === 14 ? 'SIRET' : value.length === 9 ? 'SIREN' : undefined);
  if (kind === undefined) return `expected 9 digits (SIREN) or 14 digits (SIRET), got '${value}'`;
  const reason = kind === 'SIRET' ? checkSiret(value) : checkSiren(value);
  return reason === undefined ? undefined : `${kind}: ${reason}`;
}

const S = FR_IDENTIFIER_SYSTEMS;
const RULES: ReadonlyMap<string, Rule> = new Map([
  [S.insNir, { kind: 'INS-NIR', check: checkNir }],
  [S.insNia, { kind: 'INS-NIA', check: checkNir }],
  [S.insNirTest, { kind: 'INS-NIR (test)', check: checkNir }],
  [S.insNirDemo, { kind: 'INS-NIR (demo)', check: checkNir }],
  [S.nssNir, { kind: 'NIR (billing, NSS)', check: checkNir }],
  [S.nssNia, { kind: 'NIA (billing, NSS)', check: checkNir }],
  [S.rpps, { kind: 'RPPS', check: checkRpps }],
  [S.idNatPs, { kind: 'idNat_PS', check: checkIdNatPs }],
  [S.finess, { kind: 'FINESS', check: checkFiness }],
  [S.idNatStruct, { kind: 'idNat_Struct', check: checkIdNatStruct }],
  [S.sirene, { kind: 'SIREN/SIRET', check: checkSirene }],
]);

/** Checks one identifier; undefined when valid or when the system is not a French one we know. */
export function checkFrenchIdentifier(system: string, value: string, typeCodes: string[] = []): string | undefined {
  const rule = RULES.get(system);
  if (!rule) return undefined;
  const reason = rule.check(value, typeCodes);
  return reason === undefined ? undefined : `${rule.kind} identifier (${system}): ${reason}`;
}

export interface FrenchIdentifierOptions {
  severity?: 'warning' | 'error';
}

/**
 * Walks any resource (contained resources, Bundle entries, Reference.identifier, extensions...) and
 * reports every Identifier-shaped object (string system + value) whose French key or shape fails.
 */
export function checkFrenchIdentifiers(resource: object, options: FrenchIdentifierOptions = {}): Issue[] {
  const severity = options.severity ?? 'warning';
  const issues: Issue[] = [];
  const rootType = (resource as { resourceType?: unknown }).resourceType;
  walk(resource, typeof rootType === 'string' ? rootType : '', (expression, diagnostics) =>
    issues.push({ severity, code: 'value', expression, diagnostics }),
  );
  return issues;
}

type Report = (expression: string, diagnostics: string) => void;

function walk(node: unknown, path: string, report: Report): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${path}[${i}]`, report));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (typeof obj.system === 'string' && typeof obj.value === 'string') {
    const reason = checkFrenchIdentifier(obj.system, obj.value, typeCodes(obj.type));
    if (reason !== undefined) report(join(path, 'value'), reason);
  }
  for (const key of Object.keys(obj)) {
    const child = obj[key];
    if (child !== null && typeof child === 'object') walk(child, join(path, key), report);
  }
}

function typeCodes(type: unknown): string[] {
  const coding = (type as { coding?: unknown } | undefined)?.coding;
  if (!Array.isArray(coding)) return [];
  return coding.map((c) => (c as { code?: unknown }).code).filter((c): c is string => typeof c === 'string');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
