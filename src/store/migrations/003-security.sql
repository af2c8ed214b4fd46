-- Security (SMART Backend Services): registered system clients and the client assertion ids already used.

-- A backend client authenticates with a JWT signed by one of its keys: an inline JWKS or a JWKS URL.
CREATE TABLE security_client (
  client_id     text        PRIMARY KEY,
  jwks          text,                      -- JSON Web Key Set, inline
  jwks_uri      text,                      -- or where to fetch it
  scope         text        NOT NULL,      -- the scopes the client may be granted, space separated
  organization  text,                      -- Organization id the client acts for, when set
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (jwks IS NOT NULL OR jwks_uri IS NOT NULL)
);

-- jti replay protection: an assertion id is accepted once until the assertion expires.
CREATE TABLE security_assertion_jti (
  client_id   text        NOT NULL,
  jti         text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
CREATE INDEX security_assertion_jti_expiry ON security_assertion_jti (expires_at);
