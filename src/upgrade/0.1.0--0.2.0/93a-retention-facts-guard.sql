-- The guard of retention_patient_facts in C (src/retention/facts.c): every
-- registration writes two facts, and a PL/pgSQL trigger with its own
-- search_path cost each of them an interpreter call and two switches.
CREATE OR REPLACE FUNCTION @extschema@._facts_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_facts_guard' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._facts_guard() IS
  'trigger: a patient''s birth, death or last-encounter date, once recorded, only moves later (no delete, no return to unknown); patsvc_log_change logs every recording and change';
