-- Recurring series: all occurrences book, or none does.

CREATE SEQUENCE @extschema@.series_id_seq;
COMMENT ON SEQUENCE @extschema@.series_id_seq IS 'ids of recurring series (appointments.series_id)';
REVOKE ALL ON SEQUENCE @extschema@.series_id_seq FROM PUBLIC;

CREATE FUNCTION @extschema@.book_series(patient bigint, provider bigint, first_start timestamptz,
                                        appointment_type text, occurrences integer, every_days integer DEFAULT 7,
                                        resources bigint[] DEFAULT '{}', time_zone text DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  type_id bigint := @extschema@.appointment_type_id(appointment_type);
  zone text := time_zone;
  series bigint;
  local_first timestamp;
  at timestamptz;
  conflicts text[] := '{}';
  msg text;
  det text;
BEGIN
  IF occurrences IS NULL OR occurrences NOT BETWEEN 1 AND 520 OR every_days IS NULL OR every_days NOT BETWEEN 1 AND 366 THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = pg_catalog.format('a series needs 1 to 520 occurrences every 1 to 366 days, not %s every %s',
                                  occurrences, every_days),
      HINT = 'For weekly visits give every_days => 7.';
  END IF;
  IF zone IS NULL THEN
    -- the wall-clock time repeats in the zone of the provider's (first) location
    SELECT l.time_zone INTO zone FROM @extschema@.availability a JOIN @extschema@.locations l ON l.id = a.location_id
     WHERE a.provider_id OPERATOR(pg_catalog.=) provider ORDER BY a.id LIMIT 1;
    zone := COALESCE(zone, 'UTC');
  END IF;
  IF NOT @extschema@.is_time_zone(zone) THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('%s is not a time zone', zone),
      HINT = 'Give an IANA time zone name such as America/New_York.';
  END IF;
  series := pg_catalog.nextval('@extschema@.series_id_seq');
  local_first := first_start AT TIME ZONE zone;
  FOR n IN 0 .. occurrences - 1 LOOP
    at := (local_first + pg_catalog.make_interval(days => n * every_days)) AT TIME ZONE zone;
    BEGIN
      INSERT INTO @extschema@.appointments (patient_id, provider_id, starts_at, type_id, resources, series_id)
      VALUES (patient, provider, at, type_id, resources, series);
    EXCEPTION WHEN exclusion_violation OR SQLSTATE 'PS201' OR SQLSTATE 'PS202' OR SQLSTATE 'PS203'
                   OR SQLSTATE 'PS204' OR SQLSTATE 'PS206' OR SQLSTATE 'PS207' THEN
      GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
      conflicts := conflicts || pg_catalog.format('occurrence %s at %s: %s (%s)', n + 1, at, msg, det);
    END;
  END LOOP;
  IF pg_catalog.cardinality(conflicts) > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'PS210',
      MESSAGE = pg_catalog.format('series not booked: %s of %s occurrences conflict',
                                  pg_catalog.cardinality(conflicts), occurrences),
      DETAIL = pg_catalog.array_to_string(conflicts, E'\n'),
      HINT = 'Move the series, or book the free occurrences one by one with patsvc.book.';
  END IF;
  RETURN series;
END $$;
COMMENT ON FUNCTION @extschema@.book_series(bigint, bigint, timestamptz, text, integer, integer, bigint[], text) IS
  'books a recurring series (same local wall-clock time every N days, DST-safe) all or nothing; returns the series id, or PS210 listing every conflicting occurrence';
