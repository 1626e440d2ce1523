-- ===== retention and destruction (src/retention) =====
-- Records of a protected table live as long as their policy says, then
-- leave only through patsvc.destroy_due(), which issues a certificate.

-- ---- periods --------------------------------------------------------------
CREATE FUNCTION @extschema@.retention_period(text) RETURNS interval
  AS 'MODULE_PATHNAME', 'patsvc_retention_period' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_period(text) IS
  'a retention period from text such as ''7 years'' or ''6 years 6 months'': every number needs its unit (years, months, days); a bare number raises 22P02';
CREATE FUNCTION @extschema@.retention_period(integer, text) RETURNS interval
  AS 'MODULE_PATHNAME', 'patsvc_retention_period_n_unit' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_period(integer, text) IS
  'a retention period from a number and its unit (years, months or days), e.g. retention_period(7, ''years'')';
CREATE FUNCTION @extschema@.is_calendar_period(interval) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_is_calendar_period' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_calendar_period(interval) IS
  'true when the interval is made only of months and days, none negative, not zero: what a retention policy may hold';

-- ---- retain-until: the one place retention arithmetic is written ----------
-- Everything that asks when a record's retention ends calls these: the row guard
-- (row_retention_status), retained_until, retention_status, the destruction batches
-- (_status_query, _destroy_batch_query) and anchor_cutoff, which inverts them.
CREATE FUNCTION @extschema@.retention_anchor_date(anchor text, majority_age integer, birth_date date,
                                                  death_date date, last_encounter date, anchor_value date)
  RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE $1
          WHEN 'creation' THEN $6
          WHEN 'column' THEN $6
          WHEN 'last_encounter' THEN greatest($5, $6)
          WHEN 'majority' THEN ($3 OPERATOR(pg_catalog.+) pg_catalog.make_interval(years => $2))::date
          WHEN 'death' THEN $4 END $$;
COMMENT ON FUNCTION @extschema@.retention_anchor_date(text, integer, date, date, date, date) IS
  'the date a record''s retention is counted from, given the policy anchor kind, the patient facts and the record''s anchor column (NULL: unknown)';

CREATE FUNCTION @extschema@.compute_retain_until(anchor text, period interval, majority_age integer,
                                                 minors_until_age integer, birth_date date, death_date date,
                                                 last_encounter date, anchor_value date)
  RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE
          WHEN @extschema@.retention_anchor_date($1, $3, $5, $6, $7, $8) IS NULL THEN NULL
          WHEN $4 IS NOT NULL AND $5 IS NULL THEN NULL
          ELSE greatest(
                 (@extschema@.retention_anchor_date($1, $3, $5, $6, $7, $8) OPERATOR(pg_catalog.+) $2)::date,
                 ($5 OPERATOR(pg_catalog.+) pg_catalog.make_interval(years => $4))::date)
        END $$;
COMMENT ON FUNCTION @extschema@.compute_retain_until(text, interval, integer, integer, date, date, date, date) IS
  'first date a record may be destroyed: anchor + period (calendar arithmetic), and with a minors rule not before the patient reaches minors_until_age; NULL when a needed fact is unknown';

-- The last anchor date d whose retain-until, as compute_retain_until() computes it for a
-- record anchored on d (no patient facts, no minors rule), is on or before as_of.
-- Retain-until is monotone in d, so the eligible anchors are exactly those <= this date:
-- the destruction batches of such policies compare one column per row instead of computing
-- each row's date, with month ends and Feb 29 handled exactly as compute_retain_until does.
CREATE FUNCTION @extschema@.anchor_cutoff(period interval, as_of date) RETURNS date
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE d date;
BEGIN
  -- infinity +/- anything is infinity: the loops below would never end
  IF NOT pg_catalog.isfinite(as_of) THEN
    RAISE EXCEPTION USING ERRCODE = '22008', MESSAGE = pg_catalog.format('as_of %s is not a finite date', as_of),
      HINT = 'Give a calendar date such as CURRENT_DATE.';
  END IF;
  d := (as_of - period)::date;  -- a first guess, made exact below
  WHILE @extschema@.compute_retain_until('column', period, NULL, NULL, NULL, NULL, NULL, d) > as_of LOOP
    d := d - 1;
  END LOOP;
  WHILE @extschema@.compute_retain_until('column', period, NULL, NULL, NULL, NULL, NULL, d + 1) <= as_of LOOP
    d := d + 1;
  END LOOP;
  RETURN d;
END $$;
COMMENT ON FUNCTION @extschema@.anchor_cutoff(interval, date) IS
  'the last anchor date whose retain-until (compute_retain_until, no patient facts, no minors rule) is on or before as_of; 22008 for an infinite as_of';
