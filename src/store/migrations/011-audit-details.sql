-- AuditEvent.entity.detail for the audit log: what a write changed beyond "which resource", e.g. the members a
-- CareTeam update added and removed (issue 8). A list of {entity, type, value}; null when there is nothing to say.
ALTER TABLE audit_log ADD COLUMN details jsonb;
