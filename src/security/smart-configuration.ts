// SMART App Launch v2 §Conformance: the /.well-known/smart-configuration document of the hub.
export function smartConfiguration(tokenUrl: string, jwksUrl: string, issuers: string[]): Record<string, unknown> {
  return {
    // The hub issues tokens itself for backend services; professionals bring tokens of the configured issuers.
    issuer: issuers[0],
    jwks_uri: jwksUrl,
    token_endpoint: tokenUrl,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: ['system/*.cruds', 'system/*.rs', 'user/*.cruds', 'user/*.rs', 'patient/*.rs', 'user/AuditEvent.rs', 'system/AuditEvent.rs'],
    capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2', 'permission-user', 'permission-patient'],
    code_challenge_methods_supported: ['S256'],
    trusted_issuers: issuers,
  };
}
