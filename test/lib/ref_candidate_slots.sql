-- candidate_slots written in plain SQL, the reference that the regression
-- tests (test/sql/sched_slots.sql, sched_night.sql) and the benchmark bench/sched_booking.sh
-- compare patsvc's C expansion (slots.c) with: one slot per type length from
-- each weekly hours row's start, per local date of its weekday and validity,
-- converted as (date + time) AT TIME ZONE zone.  A row whose ends_local is
-- not after its starts_local is a night shift: it ends at that wall time the
-- next day, so its slots run on past local midnight (date + 1 day + time).
-- Created in the first schema of the search_path.
CREATE FUNCTION ref_candidate_slots(provider bigint, search_window tstzrange, appointment_type bigint)
  RETURNS SETOF tstzrange LANGUAGE sql STABLE
AS $$
  SELECT DISTINCT tstzrange(x.s, x.s + make_interval(mins => t.duration_minutes))
  FROM patsvc.appointment_types t,
       patsvc.availability a JOIN patsvc.locations l ON l.id = a.location_id,
       LATERAL generate_series((lower(search_window) AT TIME ZONE l.time_zone)::date - 1,
                               (upper(search_window) AT TIME ZONE l.time_zone)::date, interval '1 day') AS d(day),
       LATERAL generate_series(0, (EXTRACT(epoch FROM a.ends_local - a.starts_local
                                  + CASE WHEN a.ends_local <= a.starts_local THEN interval '1 day'
                                         ELSE interval '0' END)::integer / 60)
                                  / t.duration_minutes - 1) AS k(n),
       LATERAL (SELECT ((d.day::date + a.starts_local) + k.n * make_interval(mins => t.duration_minutes))
                       AT TIME ZONE l.time_zone) AS x(s)
  WHERE t.id = appointment_type AND a.provider_id = provider
    AND a.weekday = EXTRACT(isodow FROM d.day) AND d.day::date BETWEEN a.valid_from AND a.valid_until
    AND x.s >= lower(search_window) AND x.s < upper(search_window)
  ORDER BY 1
$$;
