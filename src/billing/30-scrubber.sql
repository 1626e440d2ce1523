-- ---- the claim scrubber (src/billing/scrubber.c) ------------------------------

CREATE FUNCTION @extschema@.claim_problems(encounter bigint)
  RETURNS TABLE (line integer, rule text, severity text, message text)
  AS 'MODULE_PATHNAME', 'patsvc_claim_problems'
  LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 4 SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.claim_problems(bigint) IS
  'every problem of the encounter''s claim: line (NULL for the encounter as a whole), rule id (claim_rules), severity (error refuses finalizing, warning does not) and message; PS607 for an unknown encounter; runs as the owner (it reads coverage, authorizations, consents and visit types the biller need not read), EXECUTE for billers only';

CREATE FUNCTION @extschema@.claim_errors_now(encounter bigint)
  RETURNS TABLE (line integer, rule text, severity text, message text)
  AS 'MODULE_PATHNAME', 'patsvc_claim_errors_now'
  LANGUAGE C VOLATILE STRICT ROWS 4 SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.claim_errors_now(bigint) IS
  'internal, for the finalize trigger: the errors of claim_problems, read with a new snapshot (what committed before the encounter was locked)';

CREATE FUNCTION @extschema@.claim_rules()
  RETURNS TABLE (rule text, severity text, description text)
  AS 'MODULE_PATHNAME', 'patsvc_claim_rules'
  LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 40;
COMMENT ON FUNCTION @extschema@.claim_rules() IS
  'the scrubber''s rules: stable id, severity and what each checks (the one table is in src/billing/scrubber.c)';
