-- Versioned resources: the current version of each resource, every version in history,
-- typed search index rows for the current version, and the outbox of change events.

CREATE TABLE resource (
  rid           bigserial PRIMARY KEY,
  res_type      text        NOT NULL,
  id            text        NOT NULL,
  version       integer     NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  content       text,
  UNIQUE (res_type, id)
);
CREATE INDEX resource_type_updated ON resource (res_type, last_updated);

CREATE TABLE resource_history (
  rid           bigint      NOT NULL,
  res_type      text        NOT NULL,
  id            text        NOT NULL,
  version       integer     NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  method        text        NOT NULL,
  content       text,
  PRIMARY KEY (rid, version)
);
CREATE INDEX resource_history_updated ON resource_history (last_updated);
CREATE INDEX resource_history_type_updated ON resource_history (res_type, last_updated);

-- Search index rows reference the resource by rid; param is the SearchParameter code.
CREATE TABLE idx_string (
  rid bigint NOT NULL, res_type text NOT NULL, param text NOT NULL,
  value text NOT NULL,      -- folded: lower case, accents removed
  raw   text NOT NULL       -- as written, for :exact
);
CREATE INDEX idx_string_lookup ON idx_string (res_type, param, value text_pattern_ops);
CREATE INDEX idx_string_rid ON idx_string (rid);

CREATE TABLE idx_token (
  rid bigint NOT NULL, res_type text NOT NULL, param text NOT NULL,
  system text, code text, text text
);
CREATE INDEX idx_token_lookup ON idx_token (res_type, param, code, system);
CREATE INDEX idx_token_rid ON idx_token (rid);

CREATE TABLE idx_reference (
  rid bigint NOT NULL, res_type text NOT NULL, param text NOT NULL,
  target_type text, target_id text, url text
);
CREATE INDEX idx_reference_lookup ON idx_reference (res_type, param, target_id, target_type);
CREATE INDEX idx_reference_target ON idx_reference (target_type, target_id);
CREATE INDEX idx_reference_rid ON idx_reference (rid);

CREATE TABLE idx_date (
  rid bigint NOT NULL, res_type text NOT NULL, param text NOT NULL,
  lo timestamptz NOT NULL, hi timestamptz NOT NULL
);
CREATE INDEX idx_date_lookup ON idx_date (res_type, param, lo, hi);
CREATE INDEX idx_date_rid ON idx_date (rid);

CREATE TABLE idx_number (
  rid bigint NOT NULL, res_type text NOT NULL, param text NOT NULL,
  lo numeric NOT NULL, hi numeric NOT NULL
);
CREATE INDEX idx_number_lookup ON idx_number (res_type, param, lo, hi);
CREATE INDEX idx_number_rid ON idx_number (rid);

CREATE TABLE idx_quantity (
  rid bigint NOT NULL, res_type text NOT NULL, param text NOT NULL,
  system text, code text, unit text, lo numeric NOT NULL, hi numeric NOT NULL
);
CREATE INDEX idx_quantity_lookup ON idx_quantity (res_type, param, code, lo, hi);
CREATE INDEX idx_quantity_rid ON idx_quantity (rid);

CREATE TABLE idx_uri (
  rid bigint NOT NULL, res_type text NOT NULL, param text NOT NULL,
  value text NOT NULL
);
CREATE INDEX idx_uri_lookup ON idx_uri (res_type, param, value);
CREATE INDEX idx_uri_rid ON idx_uri (rid);

-- Change events, written in the same transaction as the change; read by subscriptions.
CREATE TABLE outbox (
  seq           bigserial PRIMARY KEY,
  rid           bigint      NOT NULL,
  res_type      text        NOT NULL,
  id            text        NOT NULL,
  version       integer     NOT NULL,
  action        text        NOT NULL,   -- create | update | delete
  at            timestamptz NOT NULL DEFAULT now()
);
