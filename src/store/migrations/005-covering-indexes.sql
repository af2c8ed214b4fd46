-- Lookup indexes that carry the resource's rid: a search on one parameter becomes an index-only scan
-- instead of a visit to every heap page holding a matching row (index rows are scattered, one
-- resource's rows at a time). Measured on Synthea, Observation?code=…: 1 629 heap pages per search before.
DROP INDEX idx_string_lookup;
CREATE INDEX idx_string_lookup ON idx_string (res_type, param, value text_pattern_ops) INCLUDE (rid);
DROP INDEX idx_token_lookup;
CREATE INDEX idx_token_lookup ON idx_token (res_type, param, code, system) INCLUDE (rid);
DROP INDEX idx_reference_lookup;
CREATE INDEX idx_reference_lookup ON idx_reference (res_type, param, target_id, target_type) INCLUDE (rid);
DROP INDEX idx_date_lookup;
CREATE INDEX idx_date_lookup ON idx_date (res_type, param, lo, hi) INCLUDE (rid);
DROP INDEX idx_number_lookup;
CREATE INDEX idx_number_lookup ON idx_number (res_type, param, lo, hi) INCLUDE (rid);
DROP INDEX idx_quantity_lookup;
CREATE INDEX idx_quantity_lookup ON idx_quantity (res_type, param, code, lo, hi) INCLUDE (rid);
DROP INDEX idx_uri_lookup;
CREATE INDEX idx_uri_lookup ON idx_uri (res_type, param, value) INCLUDE (rid);
