-- The mail bridge (docs/mail-bridge.md): outbound queue, its outbox cursor, and the Message-ID ↔ Communication map.

-- The outbound queuer's position in the outbox; the row lock makes one process queue at a time. The row is made
-- when outbound mail first runs, at the outbox's end then: turning the bridge on never mails earlier messages.
CREATE TABLE mail_cursor (
  name      text   PRIMARY KEY,
  last_seq  bigint NOT NULL
);

-- One mail per (Communication, address), queued in the transaction that moves the cursor.
CREATE TABLE mail_outbound (
  id               bigserial   PRIMARY KEY,
  communication_id text        NOT NULL,
  recipient        text        NOT NULL,      -- the Type/id the address belongs to
  address          text        NOT NULL,
  status           text        NOT NULL DEFAULT 'pending',  -- pending | sent | failed
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  claimed_until    timestamptz,
  last_error       text,
  message_id       text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz,
  UNIQUE (communication_id, address)
);
CREATE INDEX mail_outbound_due ON mail_outbound (next_attempt_at) WHERE status = 'pending';

-- Every Message-ID the hub sent or received, and what it is on the hub (bare id, without angle brackets).
CREATE TABLE mail_message (
  message_id       text        PRIMARY KEY,
  direction        text        NOT NULL,      -- out | in
  communication_id text,                      -- null when an inbound mail went to the review queue
  task_id          text,                      -- the review Task, for inbound mail that matched nothing
  raw_binary_id    text,                      -- inbound: the Binary holding the mail as received
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_message_communication ON mail_message (communication_id);
