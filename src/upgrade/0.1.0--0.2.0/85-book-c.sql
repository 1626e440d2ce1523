-- patsvc 0.1.0 -> 0.2.0, issue 17 section 1: book() in C (src/scheduling/book.c), the same
-- arguments, defaults and result; CREATE OR REPLACE keeps its grants.  Same definition as
-- the install script (src/scheduling/20-api.sql).
CREATE OR REPLACE FUNCTION @extschema@.book(patient bigint, provider bigint, starts_at timestamptz,
                                            appointment_type text, resources bigint[] DEFAULT '{}',
                                            priority text DEFAULT 'routine')
  RETURNS bigint AS 'MODULE_PATHNAME', 'patsvc_book' LANGUAGE C VOLATILE;

-- cancel() and set_status() in C (src/scheduling/cancel.c): the same arguments and result; no
-- SET search_path any more (every name in their statements is qualified)
CREATE OR REPLACE FUNCTION @extschema@.cancel(appointment bigint, reason text) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_cancel' LANGUAGE C VOLATILE;
CREATE OR REPLACE FUNCTION @extschema@.set_status(appointment bigint, status text) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_set_status' LANGUAGE C VOLATILE;
