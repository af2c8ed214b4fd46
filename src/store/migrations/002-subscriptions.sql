-- Subscriptions (FHIR R4 §2.46 Subscription, R5 Backport IG): delivery state beside the Subscription resources.
-- The Subscription resource itself stays in `resource`; these tables hold what the delivery worker needs.

-- Per subscription: the event counter (event numbers), heartbeat and handshake claims.
CREATE TABLE subscription_state (
  sub_id               text        PRIMARY KEY,
  events_since_start   bigint      NOT NULL DEFAULT 0,
  last_heartbeat_at    timestamptz,
  handshake_claimed_until timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now()
);

-- The matcher's position in the outbox; the row lock makes one process match at a time.
CREATE TABLE subscription_cursor (
  name      text   PRIMARY KEY,
  last_seq  bigint NOT NULL
);
INSERT INTO subscription_cursor (name, last_seq) SELECT 'outbox', coalesce(max(seq), 0) FROM outbox;

-- One notification per (subscription, event), numbered per subscription, delivered in that order.
CREATE TABLE subscription_notification (
  sub_id           text        NOT NULL,
  event_number     bigint      NOT NULL,
  outbox_seq       bigint      NOT NULL,
  res_type         text        NOT NULL,
  res_id           text        NOT NULL,
  version          integer     NOT NULL,
  action           text        NOT NULL,      -- create | update | delete
  occurred_at      timestamptz NOT NULL,
  state            text        NOT NULL DEFAULT 'pending',  -- pending | delivered | failed
  attempts         integer     NOT NULL DEFAULT 0,
  first_attempt_at timestamptz,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  claimed_until    timestamptz,
  delivered_at     timestamptz,
  last_error       text,
  PRIMARY KEY (sub_id, event_number),
  UNIQUE (sub_id, outbox_seq)
);
CREATE INDEX subscription_notification_pending ON subscription_notification (sub_id, event_number) WHERE state = 'pending';
CREATE INDEX subscription_notification_age ON subscription_notification (occurred_at);

-- Every delivery attempt (handshake, heartbeat, event), readable by the subscription's owner.
CREATE TABLE subscription_delivery_log (
  id            bigserial   PRIMARY KEY,
  sub_id        text        NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  kind          text        NOT NULL,   -- handshake | heartbeat | event-notification
  event_number  bigint,
  http_status   integer,
  latency_ms    integer     NOT NULL,
  error         text
);
CREATE INDEX subscription_delivery_log_sub ON subscription_delivery_log (sub_id, at);
