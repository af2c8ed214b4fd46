-- Letters (issue 7): the FINESS (établissements) a backend client may send documents for.
-- A hospital information system is registered for its sites; a letter naming another custodian is refused.
CREATE TABLE security_client_finess (
  client_id  text NOT NULL REFERENCES security_client (client_id) ON DELETE CASCADE,
  finess     text NOT NULL,
  PRIMARY KEY (client_id, finess)
);
