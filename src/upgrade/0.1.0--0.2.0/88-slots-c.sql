-- patsvc 0.1.0 -> 0.2.0, issue 17 section 2: free_slots and next_available in C (slots.c,
-- nextavail.c), the same arguments, defaults, results and errors; no plpgsql wrapper, no
-- SET search_path (they run no SQL by name but patsvc's own, schema-qualified).  CREATE OR
-- REPLACE keeps their grants and comments.  Same definitions as src/scheduling/20-api.sql.
CREATE OR REPLACE FUNCTION @extschema@.free_slots(provider bigint, search_window tstzrange, appointment_type text)
  RETURNS SETOF tstzrange AS 'MODULE_PATHNAME', 'patsvc_free_slots' LANGUAGE C STABLE;
CREATE OR REPLACE FUNCTION @extschema@.next_available(providers bigint[], after timestamptz, appointment_type text,
                                                      resources bigint[] DEFAULT '{}', max_results integer DEFAULT 1)
  RETURNS TABLE(provider bigint, slot tstzrange) AS 'MODULE_PATHNAME', 'patsvc_next_available' LANGUAGE C STABLE;
