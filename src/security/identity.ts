// Who is asking (ANS identifiers: RPPS, idNat_PS = 8 + RPPS or 0 + ADELI): the token's professional in the directory.
import type { Queryable } from '../store/db';
import { findProfessional } from '../store/security-store';
import type { Professional } from './request-context';
import { securityErrors } from './security-errors';

export const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
export const IDNAT_PS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';

/** The identifiers a claim value stands for; undefined when it is no national identifier of a professional. */
export function professionalIdentifiers(value: string): { nationalId: string; identifiers: { system: string; value: string }[] } | undefined {
  const v = value.trim();
  if (/^\d{11}$/.test(v)) return { nationalId: `8${v}`, identifiers: [{ system: RPPS_SYSTEM, value: v }, { system: IDNAT_PS_SYSTEM, value: `8${v}` }] };
  if (/^8\d{11}$/.test(v)) return { nationalId: v, identifiers: [{ system: RPPS_SYSTEM, value: v.slice(1) }, { system: IDNAT_PS_SYSTEM, value: v }] };
  if (/^0\d{9}$/.test(v)) return { nationalId: v, identifiers: [{ system: IDNAT_PS_SYSTEM, value: v }] };
  return undefined;
}

const TTL_MS = 30_000;
const MAX_ENTRIES = 5000;

/** Directory look-ups, cached briefly: a change in the directory applies within TTL_MS. */
export class ProfessionalDirectory {
  private readonly cache = new Map<string, { at: number; professional: Professional }>();

  constructor(private readonly db: Queryable) {}

  async resolve(claimValue: unknown, claimName: string): Promise<Professional> {
    if (typeof claimValue !== 'string' || claimValue === '') {
      throw securityErrors.unknownProfessional(`The token carries no national identifier of a professional in its "${claimName}" claim`);
    }
    const parsed = professionalIdentifiers(claimValue);
    if (!parsed) throw securityErrors.unknownProfessional(`"${claimValue}" in the "${claimName}" claim is not a national identifier (RPPS or idNat_PS)`);
    const hit = this.cache.get(parsed.nationalId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.professional;
    const found = await findProfessional(this.db, parsed.identifiers);
    if (found.practitioners.length === 0) {
      throw securityErrors.unknownProfessional(`The professional ${parsed.nationalId} is not known to this hub: no Practitioner carries that RPPS / idNat_PS identifier`);
    }
    const professional: Professional = { nationalId: parsed.nationalId, ...found };
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(parsed.nationalId, { at: Date.now(), professional });
    return professional;
  }
}
