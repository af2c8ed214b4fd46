// Start-up rules of the security layer: AUTH=off only on loopback, loudly; how to get a development token.
import type { HubConfig } from '../config';
import { logger } from '../logger';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Throws when AUTH=off is asked on an address others can reach; warns at every start when it is off. */
export function checkAuthPolicy(config: HubConfig): void {
  if (config.security.authEnabled) return;
  if (!isLoopback(config.host)) {
    throw new Error(`AUTH=off is refused on HOST=${config.host}: without authentication the hub may only listen on loopback (HOST=127.0.0.1)`);
  }
  logger.warn({ host: config.host }, 'AUTH=off: no authentication, no access control and no audit trail; for local development only');
}

/** The start-up banner's security lines. */
export function securityBanner(config: HubConfig): void {
  const s = config.security;
  if (!s.authEnabled) return;
  const issuers = s.issuers.map((i) => i.issuer);
  logger.info({ issuers, audience: s.audience, identityClaim: s.identityClaim, audit: s.auditEnabled, breakGlass: s.breakGlassEnabled }, 'authentication on');
  if (issuers.length === 0) {
    logger.info(
      `development issuer: the hub's own key (${s.signingKeyFile}). Get a token with\n` +
        '  npm run fhir-hub -- token --practitioner <RPPS>\n' +
        '  npm run fhir-hub -- token --client <id> --scope "system/*.rs"\n' +
        'and send it as Authorization: Bearer <token>',
    );
  }
}
