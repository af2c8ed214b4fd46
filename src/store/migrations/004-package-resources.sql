-- FHIR packages whose conformance resources have been stored (served read-only, searchable).
CREATE TABLE loaded_package (
  id         text        NOT NULL,
  version    text        NOT NULL,
  resources  integer     NOT NULL,
  loaded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, version)
);
