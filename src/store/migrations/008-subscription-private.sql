-- Subscription data clients never read back (FHIR R4 §2.46.8 "Safety and security"): the values of channel
-- headers (credentials), who the subscription acts for and what that owner may see. The Subscription resource
-- in `resource` holds its headers masked, so no read, search, history or export path can leak them.
CREATE TABLE subscription_private (
  sub_id     text  PRIMARY KEY,
  headers    jsonb NOT NULL DEFAULT '[]',  -- channel.header lines as the client wrote them
  owner_ref  text,                         -- Practitioner/[id] or client:[id]; NULL: no restriction (AUTH=off)
  access     jsonb                         -- the owner's access rule at its last write; NULL: sees everything
);

-- Websocket binding tokens (Backport IG $get-ws-binding-token): any process can check one, so they live here.
CREATE TABLE subscription_ws_token (
  token_hash  text        PRIMARY KEY,
  sub_ids     text[]      NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX subscription_ws_token_expiry ON subscription_ws_token (expires_at);
