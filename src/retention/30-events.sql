-- ---- the log of policy, protection and hold events ------------------------
CREATE TABLE @extschema@.retention_events (
  event_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  happened_at timestamptz NOT NULL DEFAULT now(),
  actor      text NOT NULL DEFAULT session_user,
  event      text NOT NULL,
  table_name text,
  hold_id    bigint,
  detail     text
);
REVOKE ALL ON @extschema@.retention_events FROM PUBLIC;
COMMENT ON TABLE @extschema@.retention_events IS
  'append-only log, written by patsvc alone: policies created, changed, dropped; patient facts recorded and changed; tables protected; archives set; holds placed and released; records destroyed (one event per certificate, which verify_certificates matches) and early destructions';
