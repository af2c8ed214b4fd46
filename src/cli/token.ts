// `fhir-hub token`: a development access token signed with the hub's own key (its development issuer).
import type { HubConfig } from '../config';
import { hubEndpoints } from '../security';
import { loadOrCreateHubKey, signHubToken } from '../security/hub-key';
import { professionalIdentifiers } from '../security/identity';

export interface TokenOptions {
  practitioner?: string;
  client?: string;
  scope?: string;
  minutes?: string;
}

/** The token text; throws on options that cannot make a usable token. */
export async function makeDevelopmentToken(config: HubConfig, opts: TokenOptions): Promise<string> {
  if (!config.security.authEnabled) throw new Error('AUTH=off: the hub takes no token');
  if (Boolean(opts.practitioner) === Boolean(opts.client)) throw new Error('Give --practitioner <RPPS> or --client <id>, one of them');
  const minutes = Number(opts.minutes ?? 60);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) throw new Error('--minutes takes a whole number from 1 to 1440');
  const key = await loadOrCreateHubKey(config.security.signingKeyFile);
  const { issuer } = hubEndpoints(config.baseUrl);
  const sign = (subject: string, scope: string, extra: Record<string, unknown>) =>
    signHubToken(key, issuer, config.security.audience, minutes * 60, { subject, scope, extra });
  if (opts.practitioner) {
    const parsed = professionalIdentifiers(opts.practitioner);
    if (!parsed) throw new Error(`"${opts.practitioner}" is not an RPPS number (11 digits) or an idNat_PS (8 + RPPS)`);
    return sign(parsed.nationalId, opts.scope ?? 'user/*.cruds', { [config.security.identityClaim]: parsed.nationalId });
  }
  return sign(opts.client!, opts.scope ?? 'system/*.rs', { client_id: opts.client });
}

export async function runToken(config: HubConfig, opts: TokenOptions): Promise<void> {
  process.stdout.write(`${await makeDevelopmentToken(config, opts)}\n`);
}
