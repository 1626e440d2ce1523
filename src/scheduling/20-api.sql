-- Scheduling SQL API.  The functions only write patsvc.appointments; the
-- trigger decides.  book, cancel, reschedule and set_status run with the
-- caller's rights (grant the tables to the front-office role);
-- book_overbook runs as the extension owner and is granted separately.

CREATE FUNCTION @extschema@.appointment_type_id(appointment_type text) RETURNS bigint
  LANGUAGE plpgsql STABLE STRICT
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  result bigint;
BEGIN
  SELECT t.id INTO result FROM @extschema@.appointment_types t WHERE t.code OPERATOR(pg_catalog.=) appointment_type;
  IF result IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'PS208',
      MESSAGE = pg_catalog.format('appointment type %s does not exist', appointment_type),
      HINT = 'Use a code of patsvc.appointment_types.';
  END IF;
  RETURN result;
END $$;
COMMENT ON FUNCTION @extschema@.appointment_type_id(text) IS
  'id of the appointment type with this code; PS208 if there is none';

CREATE FUNCTION @extschema@.book(patient bigint, provider bigint, starts_at timestamptz,
                                 appointment_type text, resources bigint[] DEFAULT '{}',
                                 priority text DEFAULT 'routine')
  RETURNS bigint AS 'MODULE_PATHNAME', 'patsvc_book' LANGUAGE C VOLATILE;
-- C (src/scheduling/book.c): one kept INSERT plan run as the caller, the type's code
-- resolved from a per-backend cache; raises what INSERT ... VALUES (..., appointment_type_id(code),
-- ...) RETURNING id raises.  (As plpgsql calling appointment_type_id() it cost 1.3-1.6x its INSERT.)
COMMENT ON FUNCTION @extschema@.book(bigint, bigint, timestamptz, text, bigint[], text) IS
  'books a visit (status booked, priority routine unless given: urgent, asap, stat; 23514 for another) and returns its id; every rule is checked by the table''s trigger (23P01, PS2xx)';

CREATE FUNCTION @extschema@.book_overbook(patient bigint, provider bigint, starts_at timestamptz,
                                          appointment_type text, resources bigint[], reason text)
  RETURNS bigint AS 'MODULE_PATHNAME', 'patsvc_book_overbook' LANGUAGE C VOLATILE
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.book_overbook(bigint, bigint, timestamptz, text, bigint[], text) IS
  'books past the provider''s conflicts, hours, time off and capacity, recording reason and session user; patient and resource rules still hold; EXECUTE only by explicit grant';
REVOKE ALL ON FUNCTION @extschema@.book_overbook(bigint, bigint, timestamptz, text, bigint[], text) FROM PUBLIC;

CREATE FUNCTION @extschema@.find_appointment(appointment bigint) RETURNS @extschema@.appointments
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  found_row @extschema@.appointments;
BEGIN
  SELECT a.* INTO found_row FROM @extschema@.appointments a
   WHERE a.id OPERATOR(pg_catalog.=) appointment FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'PS208',
      MESSAGE = pg_catalog.format('appointment %s does not exist', appointment),
      HINT = 'Use the id returned by patsvc.book.';
  END IF;
  RETURN found_row;
END $$;
COMMENT ON FUNCTION @extschema@.find_appointment(bigint) IS
  'the appointment row, locked FOR UPDATE; PS208 if there is none';

CREATE FUNCTION @extschema@.cancel(appointment bigint, reason text) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_cancel' LANGUAGE C VOLATILE;
-- C (src/scheduling/cancel.c), as the caller: find_appointment's locking read, then the UPDATE
COMMENT ON FUNCTION @extschema@.cancel(bigint, text) IS
  'cancels an appointment (frees its time); PS205 if its status cannot become cancelled';

CREATE FUNCTION @extschema@.set_status(appointment bigint, status text) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_set_status' LANGUAGE C VOLATILE;
-- C (src/scheduling/cancel.c), as the caller: find_appointment's locking read, then the UPDATE;
-- the status name and the transition are checked by trigger appointments_enforce
COMMENT ON FUNCTION @extschema@.set_status(bigint, text) IS
  'moves an appointment to another FHIR status; PS205 if the transition is not allowed';

CREATE FUNCTION @extschema@.reschedule(appointment bigint, new_start timestamptz, new_provider bigint DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  prev @extschema@.appointments := @extschema@.find_appointment(appointment);
  new_id bigint;
BEGIN
  IF prev.status NOT IN ('proposed', 'pending', 'booked', 'waitlist') THEN
    RAISE EXCEPTION USING ERRCODE = 'PS205',
      MESSAGE = pg_catalog.format('appointment %s is %s and cannot be rescheduled', appointment, prev.status),
      DETAIL = 'Only proposed, pending, booked and waitlist appointments can be moved.',
      HINT = 'Book a new appointment instead.';
  END IF;
  -- cancel first so the old visit does not block its own new time; if the
  -- new booking fails, the whole call fails and the cancellation is undone
  UPDATE @extschema@.appointments a SET status = 'cancelled', cancel_reason = 'rescheduled'
   WHERE a.id OPERATOR(pg_catalog.=) appointment;
  INSERT INTO @extschema@.appointments (patient_id, provider_id, starts_at, type_id, resources, status,
                                        replaces, series_id, priority)
  VALUES (prev.patient_id, COALESCE(new_provider, prev.provider_id), new_start, prev.type_id, prev.resources,
          prev.status, prev.id, prev.series_id, prev.priority)
  RETURNING id INTO new_id;
  RETURN new_id;
END $$;
COMMENT ON FUNCTION @extschema@.reschedule(bigint, timestamptz, bigint) IS
  'moves an appointment atomically: books the new time (all rules), cancels the old one and links the new one to it (replaces); the new one keeps the priority';

CREATE FUNCTION @extschema@.slot_is_free(provider bigint, starts_at timestamptz, appointment_type bigint,
                                         resources bigint[] DEFAULT '{}')
  RETURNS boolean AS 'MODULE_PATHNAME', 'patsvc_slot_is_free' LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.slot_is_free(bigint, timestamptz, bigint, bigint[]) IS
  'would a booking at this start pass the provider and resource rules now (advice: the trigger decides when booking); needs SELECT on patsvc.appointments (42501), at most 100 resources and a finite start (22023, 22008)';

CREATE FUNCTION @extschema@.candidate_slots(provider bigint, search_window tstzrange, appointment_type bigint)
  RETURNS SETOF tstzrange AS 'MODULE_PATHNAME', 'patsvc_candidate_slots' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.candidate_slots(bigint, tstzrange, bigint) IS
  'slots of the provider''s weekly hours (type length, back to back) starting in the window, earliest first, expanded per local date in each location''s time zone (as (date + time) AT TIME ZONE zone); the expansion free_slots and next_available use; window as check_search_window (22023), needs SELECT on patsvc.availability (42501)';

CREATE FUNCTION @extschema@.check_search_window(search_window tstzrange) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_check_search_window' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION @extschema@.check_search_window(tstzrange) IS
  'raises 22023 unless the window is non-empty, bounded, of finite times and at most 400 days long (22008 at the limits of timestamptz): the one window rule candidate_slots, free_slots and free_slots_sweep apply';

CREATE FUNCTION @extschema@.free_slots_sweep(provider bigint, search_window tstzrange, appointment_type bigint)
  RETURNS SETOF tstzrange AS 'MODULE_PATHNAME', 'patsvc_free_slots_sweep' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.free_slots_sweep(bigint, tstzrange, bigint) IS
  'free_slots with a type id: candidate slots tested in memory against the provider''s bookings and time off read once; window as check_search_window (22023), needs SELECT on patsvc.appointments (42501)';

CREATE FUNCTION @extschema@.free_slots(provider bigint, search_window tstzrange, appointment_type text)
  RETURNS SETOF tstzrange AS 'MODULE_PATHNAME', 'patsvc_free_slots' LANGUAGE C STABLE;
-- C (src/scheduling/slots.c): the type's code from book()'s per-backend cache, then the sweep of
-- free_slots_sweep; raises what the plpgsql version calling appointment_type_id(),
-- check_search_window() and free_slots_sweep() raised, in the same order.
COMMENT ON FUNCTION @extschema@.free_slots(bigint, tstzrange, text) IS
  'bookable slots of the type starting in the window: inside hours, outside time off, no overlap, capacity left';

CREATE FUNCTION @extschema@.next_available_sweep(providers bigint[], after timestamptz, appointment_type bigint,
                                                 resources bigint[], max_results integer)
  RETURNS TABLE(provider bigint, slot tstzrange) AS 'MODULE_PATHNAME', 'patsvc_next_available_c' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.next_available_sweep(bigint[], timestamptz, bigint, bigint[], integer) IS
  'next_available with a type id: the candidate slots of all hours rows merged earliest first, probed until max_results are free; at most 1000 providers, 100 resources and 1000 results, a finite start (22023, 22008), needs SELECT on patsvc.appointments (42501)';

CREATE FUNCTION @extschema@.next_available(providers bigint[], after timestamptz, appointment_type text,
                                           resources bigint[] DEFAULT '{}', max_results integer DEFAULT 1)
  RETURNS TABLE(provider bigint, slot tstzrange) AS 'MODULE_PATHNAME', 'patsvc_next_available' LANGUAGE C STABLE;
-- C (src/scheduling/nextavail.c): as free_slots, the search of next_available_sweep without a
-- plpgsql wrapper (PS208 for an unknown code, then 22023 for max_results below 1 or NULL).
COMMENT ON FUNCTION @extschema@.next_available(bigint[], timestamptz, text, bigint[], integer) IS
  'earliest bookable slots across providers (with the given resources) after a time, up to max_results, searching 92 days';
