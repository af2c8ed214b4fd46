-- The audit trail (IHE BALP, FHIR R4 AuditEvent): an append-only log, served read-only as AuditEvent resources.
-- One row per interaction, no version history, no generic search index rows, no outbox event: an audited read
-- costs one row in a batched INSERT instead of a full versioned resource write (docs/security.md, "Audit").

CREATE TABLE audit_log (
  seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- the AuditEvent id (decimal text)
  recorded        timestamptz NOT NULL,
  action          text        NOT NULL,  -- BALP action: C R U D E
  subtype         text        NOT NULL,  -- restful-interaction code (read, search-type, create...)
  outcome         text        NOT NULL,  -- 0 success, 4 refused, 8 the hub failed
  outcome_desc    text,
  agent_kind      text        NOT NULL,  -- practitioner, system, anonymous, unauthenticated
  agent_ref       text,                  -- Practitioner/<id> of a professional
  agent_system    text,                  -- identifier system: idNat_PS, or the token issuer of a client
  agent_id        text,                  -- identifier value: idNat_PS, or the client id / token subject
  client_id       text,                  -- the SMART client the request came through
  organizations   text[]      NOT NULL DEFAULT '{}',  -- Organization ids the professional acts for
  source_address  text,
  patients        text[]      NOT NULL DEFAULT '{}',  -- Patient ids the interaction concerned
  entities        text[]      NOT NULL DEFAULT '{}',  -- Type/id of the resources read, returned or written
  query           text,                  -- a search's query string
  break_glass     text,                  -- purpose of use BTG: the stated reason
  request_id      text,                  -- X-Request-Id
  legacy_id       text,                  -- id of an AuditEvent stored as a resource before this migration
  legacy_content  text                   -- and its JSON, served as it was
);

-- Auditors ask "who saw this patient", "what did this person do", "who touched this resource", over a period.
-- GIN with its pending list (fastupdate) keeps the array indexes cheap to insert into.
CREATE INDEX audit_log_patients ON audit_log USING gin (patients);
CREATE INDEX audit_log_entities ON audit_log USING gin (entities);
CREATE INDEX audit_log_recorded ON audit_log (recorded);
CREATE INDEX audit_log_agent ON audit_log (agent_ref, recorded) WHERE agent_ref IS NOT NULL;
CREATE INDEX audit_log_legacy ON audit_log (legacy_id) WHERE legacy_id IS NOT NULL;

-- Append-only: no row is ever changed (retention may delete old rows, nothing may rewrite one).
CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();

-- AuditEvents written as resources before this migration move into the log with their JSON and id, and the
-- columns searches use; their resource rows go, so the type has a single home. (Their outbox events stay:
-- the outbox is the subscriptions' log of past changes.)
INSERT INTO audit_log (recorded, action, subtype, outcome, outcome_desc, agent_kind, agent_ref, patients, entities, legacy_id, legacy_content)
SELECT (c ->> 'recorded')::timestamptz,
       coalesce(c ->> 'action', 'E'),
       coalesce(c #>> '{subtype,0,code}', ''),
       coalesce(c ->> 'outcome', '0'),
       c ->> 'outcomeDesc',
       'legacy',
       (SELECT a #>> '{who,reference}' FROM jsonb_array_elements(c -> 'agent') a WHERE (a ->> 'requestor')::boolean LIMIT 1),
       coalesce(ARRAY(SELECT substr(e #>> '{what,reference}', 9) FROM jsonb_array_elements(coalesce(c -> 'entity', '[]')) e
                       WHERE e #>> '{role,code}' = '1' AND e #>> '{what,reference}' LIKE 'Patient/%'), '{}'),
       coalesce(ARRAY(SELECT e #>> '{what,reference}' FROM jsonb_array_elements(coalesce(c -> 'entity', '[]')) e
                       WHERE e #>> '{role,code}' = '4' AND e #>> '{what,reference}' IS NOT NULL), '{}'),
       r.id,
       r.content
  FROM resource r, LATERAL (SELECT r.content::jsonb AS c) j
 WHERE r.res_type = 'AuditEvent' AND NOT r.deleted
 ORDER BY r.rid;

DELETE FROM idx_string WHERE res_type = 'AuditEvent';
DELETE FROM idx_token WHERE res_type = 'AuditEvent';
DELETE FROM idx_reference WHERE res_type = 'AuditEvent';
DELETE FROM idx_date WHERE res_type = 'AuditEvent';
DELETE FROM idx_number WHERE res_type = 'AuditEvent';
DELETE FROM idx_quantity WHERE res_type = 'AuditEvent';
DELETE FROM idx_uri WHERE res_type = 'AuditEvent';
DELETE FROM resource_history WHERE res_type = 'AuditEvent';
DELETE FROM resource WHERE res_type = 'AuditEvent';
