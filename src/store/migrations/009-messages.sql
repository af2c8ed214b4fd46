-- Messaging (issue 8, docs/messaging.md): one row per recipient a Communication reaches (CareTeams expanded
-- when it was created), with that recipient's read receipt. The resource itself stays in the resource tables.
CREATE TABLE message_delivery (
  rid bigint NOT NULL REFERENCES resource (rid),
  recipient text NOT NULL,
  thread text NOT NULL,
  sent timestamptz NOT NULL,
  read_at timestamptz NULL,
  read_by text NULL,
  -- The id of the Patient the message is about (its subject), so the inbox judges access per patient, not per row.
  patient text NULL,
  PRIMARY KEY (rid, recipient)
);
-- The inbox: a recipient's rows, newest first, with what the page needs (read state, patient) in the index.
CREATE INDEX message_delivery_inbox ON message_delivery (recipient, sent DESC, rid DESC) INCLUDE (read_at, patient);
-- A conversation's deliveries (receipts of a thread, the mail bridge).
CREATE INDEX message_delivery_thread ON message_delivery (thread);
