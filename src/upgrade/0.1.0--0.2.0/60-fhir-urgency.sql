-- patsvc 0.1.0 -> 0.2.0, issue 17 sections 5 (urgency) and 6 (FHIR out).  Same
-- definitions as the install script (src/scheduling/10-model.sql, 20-api.sql,
-- 40-waitlist-reminders.sql, 60-fhir-urgency.sql, src/security/roles.sql).
-- Runs after 20-security-roles.sql: the functions created here get their
-- REVOKE FROM PUBLIC and their grants below, as roles.sql gives them.

-- priority: an enum-like domain and its order
-- FHIR's RequestPriority value set, most urgent last; an enum-like domain (its check is
-- kept in the type cache, not parsed again per INSERT statement as a table CHECK is)
CREATE DOMAIN @extschema@.request_priority AS text
  CONSTRAINT request_priority_check CHECK (VALUE IN ('routine', 'urgent', 'asap', 'stat'));
COMMENT ON DOMAIN @extschema@.request_priority IS
  'FHIR RequestPriority code: routine, urgent, asap (sooner than urgent) or stat (at once); patsvc.priority_rank orders them';

CREATE FUNCTION @extschema@.priority_rank(priority text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN priority OPERATOR(pg_catalog.=) 'stat' THEN 1
              WHEN priority OPERATOR(pg_catalog.=) 'asap' THEN 2
              WHEN priority OPERATOR(pg_catalog.=) 'urgent' THEN 3
              WHEN priority OPERATOR(pg_catalog.=) 'routine' THEN 5 END
$$;
COMMENT ON FUNCTION @extschema@.priority_rank(text) IS
  'FHIR Appointment.priority (unsignedInt, iCal scale: 1 highest, 5 normal) of a RequestPriority code: stat 1, asap 2, urgent 3, routine 5, NULL for anything else; lower is more urgent';

-- existing appointments and waitlist entries become routine; the column lands last, as in
-- CREATE TABLE (a domain with a check rewrites the table once)
ALTER TABLE @extschema@.appointments ADD COLUMN priority @extschema@.request_priority NOT NULL DEFAULT 'routine';
COMMENT ON COLUMN @extschema@.appointments.priority IS 'FHIR priority of the visit (routine, urgent, asap, stat); advice for the front office, no rule depends on it';
ALTER TABLE @extschema@.waitlist ADD COLUMN priority @extschema@.request_priority NOT NULL DEFAULT 'routine';
COMMENT ON COLUMN @extschema@.waitlist.priority IS
  'FHIR priority of the request: a freed slot goes to the most urgent matching waiter (stat, asap, urgent, routine), then to the longest waiting';

-- book and join_waitlist gain a priority argument (DEFAULT 'routine': old calls keep working);
-- a new argument list is a new function, so the old one is dropped and the grants given again
DROP FUNCTION @extschema@.book(bigint, bigint, timestamptz, text, bigint[]);
CREATE FUNCTION @extschema@.book(patient bigint, provider bigint, starts_at timestamptz,
                                 appointment_type text, resources bigint[] DEFAULT '{}',
                                 priority text DEFAULT 'routine')
  RETURNS bigint LANGUAGE sql
AS $$
  INSERT INTO @extschema@.appointments (patient_id, provider_id, starts_at, type_id, resources, priority)
  VALUES (patient, provider, starts_at, @extschema@.appointment_type_id(appointment_type), resources, priority)
  RETURNING id
$$;
COMMENT ON FUNCTION @extschema@.book(bigint, bigint, timestamptz, text, bigint[], text) IS
  'books a visit (status booked, priority routine unless given: urgent, asap, stat; 23514 for another) and returns its id; every rule is checked by the table''s trigger (23P01, PS2xx)';
REVOKE ALL ON FUNCTION @extschema@.book(bigint, bigint, timestamptz, text, bigint[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.book(bigint, bigint, timestamptz, text, bigint[], text)
  TO patsvc_front_desk, patsvc_scheduler;

DROP FUNCTION @extschema@.join_waitlist(bigint, bigint, text, tstzrange);
CREATE FUNCTION @extschema@.join_waitlist(patient bigint, provider bigint, appointment_type text, search_window tstzrange,
                                          priority text DEFAULT 'routine')
  RETURNS bigint LANGUAGE sql
AS $$
  SELECT @extschema@.check_search_window(search_window);
  INSERT INTO @extschema@.waitlist (patient_id, provider_id, type_id, search_window, priority)
  VALUES (patient, provider, @extschema@.appointment_type_id(appointment_type), search_window, priority)
  RETURNING id
$$;
COMMENT ON FUNCTION @extschema@.join_waitlist(bigint, bigint, text, tstzrange, text) IS
  'puts a patient on the waitlist of a provider for a type and window (the window rule of check_search_window: 22023) with a priority (routine unless given: urgent, asap, stat; 23514 for another); returns the waitlist id';
REVOKE ALL ON FUNCTION @extschema@.join_waitlist(bigint, bigint, text, tstzrange, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.join_waitlist(bigint, bigint, text, tstzrange, text)
  TO patsvc_front_desk, patsvc_scheduler;

-- a rescheduled visit keeps its priority
CREATE OR REPLACE FUNCTION @extschema@.reschedule(appointment bigint, new_start timestamptz, new_provider bigint DEFAULT NULL)
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

-- the most urgent waiter gets the freed slot first
CREATE OR REPLACE FUNCTION @extschema@.waitlist_offer_freed_time() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  w record;
  offer bigint;
  slot_start timestamptz;
BEGIN
  -- SECURITY DEFINER: on any table but appointments it would write the waitlist for whoever attached it
  IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.appointments'::pg_catalog.regclass::pg_catalog.oid THEN
    RAISE EXCEPTION USING ERRCODE = 'PS001',
      MESSAGE = pg_catalog.format('trigger function patsvc.waitlist_offer_freed_time() cannot run on table "%s"', TG_TABLE_NAME),
      DETAIL = 'It works only on patsvc.appointments, where patsvc attaches it.',
      HINT = pg_catalog.format('Drop trigger "%s" from table "%s"; patsvc''s trigger functions are not for other tables.',
                               TG_NAME, TG_TABLE_NAME);
  END IF;
  slot_start := NEW.starts_at;
  -- the most urgent, then longest-waiting patient whose window holds the freed start, if the slot is now free for them
  FOR w IN
    SELECT wl.id, wl.type_id, t.duration_minutes FROM @extschema@.waitlist wl
      JOIN @extschema@.appointment_types t ON t.id OPERATOR(pg_catalog.=) wl.type_id
     WHERE wl.provider_id OPERATOR(pg_catalog.=) NEW.provider_id AND wl.status OPERATOR(pg_catalog.=) 'waiting'
       AND wl.search_window OPERATOR(pg_catalog.@>) slot_start
     ORDER BY @extschema@.priority_rank(wl.priority), wl.created_at, wl.id
     FOR UPDATE OF wl SKIP LOCKED
  LOOP
    CONTINUE WHEN NOT @extschema@.slot_is_free(NEW.provider_id, slot_start, w.type_id, '{}');
    INSERT INTO @extschema@.waitlist_offers (waitlist_id, freed_by, provider_id, slot)
    VALUES (w.id, NEW.id, NEW.provider_id,
            pg_catalog.tstzrange(slot_start, slot_start + pg_catalog.make_interval(mins => w.duration_minutes)))
    RETURNING id INTO offer;
    UPDATE @extschema@.waitlist SET status = 'offered' WHERE id OPERATOR(pg_catalog.=) w.id;
    -- the payload is the offer id only: listeners read the offer with their own privileges
    PERFORM pg_catalog.pg_notify('patsvc_waitlist', offer::text);
    EXIT;
  END LOOP;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION @extschema@.waitlist_offer_freed_time() IS
  'trigger: when an appointment stops holding time, offers the freed start to the most urgent matching patient (priority_rank), the longest waiting among equals';

-- FHIR out and urgent search (src/scheduling/60-fhir-urgency.sql)
CREATE FUNCTION @extschema@.fhir_instant(at timestamptz, time_zone text DEFAULT 'UTC') RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT to_char(l.local, 'YYYY-MM-DD"T"HH24:MI:SS')
         || CASE WHEN date_trunc('second', l.local) = l.local THEN '' ELSE to_char(l.local, '.US') END
         || CASE WHEN l.off = 0 THEN 'Z'
                 ELSE CASE WHEN l.off < 0 THEN '-' ELSE '+' END
                      || lpad((abs(l.off) / 3600)::text, 2, '0') || ':' || lpad((abs(l.off) % 3600 / 60)::text, 2, '0') END
    FROM (SELECT v.local, extract(epoch FROM v.local - (at AT TIME ZONE 'UTC'))::bigint AS off
            FROM (SELECT at AT TIME ZONE time_zone AS local) v) l
$$;
COMMENT ON FUNCTION @extschema@.fhir_instant(timestamptz, text) IS
  'a FHIR instant/dateTime (ISO 8601, seconds, offset): the wall-clock time in the time zone with its offset (Z for UTC); 22023 for an unknown time zone';

CREATE FUNCTION @extschema@.appointment_fhir(appointment bigint) RETURNS jsonb
  LANGUAGE plpgsql STABLE STRICT
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a @extschema@.appointments;
  type_code text;
  zone text;
  part_status text;
  participants jsonb;
  result jsonb;
BEGIN
  SELECT ap.* INTO a FROM @extschema@.appointments ap WHERE ap.id OPERATOR(pg_catalog.=) appointment;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'PS208',
      MESSAGE = format('appointment %s does not exist', appointment),
      HINT = 'Use the id returned by patsvc.book.';
  END IF;
  SELECT t.code INTO type_code FROM @extschema@.appointment_types t WHERE t.id OPERATOR(pg_catalog.=) a.type_id;
  SELECT l.time_zone INTO zone FROM @extschema@.locations l WHERE l.id OPERATOR(pg_catalog.=) a.location_id;
  zone := coalesce(zone, 'UTC');
  -- R4 participationstatus of every participant, from the appointment's status
  part_status := CASE WHEN a.status IN ('proposed', 'pending', 'waitlist') THEN 'needs-action'
                      WHEN a.status IN ('cancelled', 'entered-in-error') THEN 'declined'
                      ELSE 'accepted' END;
  participants := jsonb_build_array(
      jsonb_build_object('actor', jsonb_build_object('reference', 'Patient/' || a.patient_id),
                         'required', 'required', 'status', part_status),
      jsonb_build_object('actor', jsonb_build_object('reference', 'Practitioner/' || a.provider_id),
                         'required', 'required', 'status', part_status));
  IF a.location_id IS NOT NULL THEN
    participants := participants || jsonb_build_array(
      jsonb_build_object('actor', jsonb_build_object('reference', 'Location/' || a.location_id),
                         'required', 'required', 'status', part_status));
  END IF;
  -- rooms (a kind naming a room) are Locations, other resources Devices; ids prefixed "resource-"
  -- so a room never takes the id of an office (patsvc.locations)
  participants := participants || coalesce((
    SELECT jsonb_agg(jsonb_build_object(
             'actor', jsonb_build_object('reference',
                        CASE WHEN r.kind ~ 'room' THEN 'Location/resource-' ELSE 'Device/resource-' END || u.rid),
             'required', 'required', 'status', part_status) ORDER BY u.ord)
      FROM unnest(a.resources) WITH ORDINALITY AS u(rid, ord)
      LEFT JOIN @extschema@.resources r ON r.id OPERATOR(pg_catalog.=) u.rid), '[]'::jsonb);
  result := jsonb_build_object(
    'resourceType', 'Appointment',
    'id', a.id::text,
    -- patsvc's statuses are R4's appointmentstatus codes (the trigger admits no other)
    'status', a.status,
    'serviceType', jsonb_build_array(jsonb_build_object(
        'coding', jsonb_build_array(jsonb_build_object('system', 'urn:patsvc:appointment-type', 'code', type_code)),
        'text', type_code)),
    'priority', @extschema@.priority_rank(a.priority),
    'start', @extschema@.fhir_instant(a.starts_at, zone),
    'end', @extschema@.fhir_instant(a.ends_at, zone),
    'minutesDuration', (extract(epoch FROM a.ends_at - a.starts_at) / 60)::bigint,
    'created', @extschema@.fhir_instant(a.created_at, zone),
    'participant', participants);
  -- R4 invariant app-4: a cancelation reason only on cancelled and noshow appointments
  IF a.status IN ('cancelled', 'noshow') AND a.cancel_reason IS NOT NULL THEN
    result := result || jsonb_build_object('cancelationReason', jsonb_build_object('text', a.cancel_reason));
  END IF;
  -- R4 has no element for the appointment this one replaced (basedOn is for ServiceRequests):
  -- R5's previousAppointment as a cross-version extension
  IF a.replaces IS NOT NULL THEN
    result := result || jsonb_build_object('extension', jsonb_build_array(jsonb_build_object(
      'url', 'http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.previousAppointment',
      'valueReference', jsonb_build_object('reference', 'Appointment/' || a.replaces))));
  END IF;
  RETURN result;
END $$;
COMMENT ON FUNCTION @extschema@.appointment_fhir(bigint) IS
  'the appointment as a FHIR R4 Appointment resource (jsonb): status, priority (priority_rank), serviceType, start/end in the location''s time zone, participants Patient, Practitioner, Location and resources (rooms Location/resource-<id>, others Device/resource-<id>), cancelationReason, the replaced appointment as extension previousAppointment; PS208 if there is none; needs SELECT on appointments, appointment_types, locations and resources';

CREATE FUNCTION @extschema@.slots_fhir(provider bigint, search_window tstzrange, appointment_type text) RETURNS jsonb
  LANGUAGE plpgsql STABLE STRICT
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  type_id bigint := @extschema@.appointment_type_id(appointment_type);
  entries jsonb;
  n bigint;
  result jsonb;
BEGIN
  -- free_slots checks the window (22023) and the caller's right to read the schedule (42501);
  -- total counts every free slot, the entries are the first 1,000 (a page: search again from there)
  SELECT jsonb_agg(jsonb_build_object(
           'fullUrl', format('urn:patsvc:slot:%s-%s-%s', provider, type_id, extract(epoch FROM lower(s.slot))::bigint),
           'resource', jsonb_build_object(
             'resourceType', 'Slot',
             'id', format('%s-%s-%s', provider, type_id, extract(epoch FROM lower(s.slot))::bigint),
             'serviceType', jsonb_build_array(jsonb_build_object(
                 'coding', jsonb_build_array(jsonb_build_object('system', 'urn:patsvc:appointment-type',
                                                                'code', appointment_type)),
                 'text', appointment_type)),
             'schedule', jsonb_build_object('reference', 'Schedule/' || provider),
             'status', 'free',
             'start', @extschema@.fhir_instant(lower(s.slot)),
             'end', @extschema@.fhir_instant(upper(s.slot))),
           'search', jsonb_build_object('mode', 'match'))
         ORDER BY lower(s.slot)) FILTER (WHERE s.n OPERATOR(pg_catalog.<=) 1000),
         count(*)
    INTO entries, n
    FROM (SELECT f.slot, row_number() OVER (ORDER BY lower(f.slot)) AS n
            FROM @extschema@.free_slots(provider, search_window, appointment_type) AS f(slot)) s;
  result := jsonb_build_object('resourceType', 'Bundle', 'type', 'searchset', 'total', n);
  -- FHIR JSON has no empty arrays: no free slot, no entry
  IF n OPERATOR(pg_catalog.>) 0 THEN
    result := result || jsonb_build_object('entry', entries);
  END IF;
  RETURN result;
END $$;
COMMENT ON FUNCTION @extschema@.slots_fhir(bigint, tstzrange, text) IS
  'the free slots of free_slots as a FHIR R4 Bundle (type searchset) of Slot resources: status free, schedule Schedule/<provider id>, start/end in UTC; total counts them all, the entries are the first 1,000; window and rights as free_slots (22023, 42501)';

CREATE FUNCTION @extschema@.next_available_urgent(providers bigint[], after timestamptz, appointment_type text,
                                                  resources bigint[] DEFAULT '{}', max_results integer DEFAULT 1)
  RETURNS TABLE(provider bigint, slot tstzrange, overbook boolean) LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  type_id bigint := @extschema@.appointment_type_id(appointment_type);
  before_held interval;
  after_held interval;
  res bigint[] := coalesce(resources, '{}');
BEGIN
  IF max_results IS NULL OR max_results < 1 THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'max_results must be at least 1',
      HINT = 'Ask for 1 or more results.';
  END IF;
  IF after IS NULL THEN
    RETURN;  -- as next_available: no start, no slot
  END IF;
  SELECT make_interval(mins => t.buffer_before_minutes), make_interval(mins => t.buffer_after_minutes)
    INTO before_held, after_held
    FROM @extschema@.appointment_types t WHERE t.id OPERATOR(pg_catalog.=) type_id;
  RETURN QUERY
  WITH free AS MATERIALIZED (
    -- next_available checks its arguments (22023, 22008) and the caller's rights (42501) first
    SELECT n.provider, n.slot FROM @extschema@.next_available(providers, after, appointment_type, res, max_results) n),
  horizon AS (
    -- overbook candidates later than the last of max_results free slots cannot be among the earliest
    SELECT CASE WHEN count(*) OPERATOR(pg_catalog.>=) max_results
                THEN tstzrange(after, least(max(lower(f.slot)), after + interval '14 days'), '[]')
                ELSE tstzrange(after, after + interval '14 days') END AS w
      FROM free f),
  taken AS (
    -- in the provider's hours, out of the provider's time off, the resources neither off nor held,
    -- but not free: the provider is booked (or full); book_overbook waives that rule
    SELECT p.id AS provider, c.slot
      FROM (SELECT DISTINCT u.id FROM unnest(providers) AS u(id) WHERE u.id IS NOT NULL) p
     CROSS JOIN horizon h
     CROSS JOIN LATERAL @extschema@.candidate_slots(p.id, h.w, type_id) AS c(slot)
     WHERE NOT EXISTS (SELECT 1 FROM free f WHERE f.provider = p.id AND f.slot = c.slot)
       AND NOT EXISTS (SELECT 1 FROM @extschema@.time_off o
                        WHERE (o.provider_id = p.id OR o.resource_id = ANY (res))
                          AND o.during && tstzrange(lower(c.slot) - before_held, upper(c.slot) + after_held))
       AND NOT EXISTS (SELECT 1 FROM @extschema@.appointment_resources ar
                        WHERE ar.resource_id = ANY (res)
                          -- a hold lasts at most 24 hours (rule of appointments_enforce)
                          AND ar.held_from > lower(c.slot) - before_held - interval '24 hours'
                          AND ar.held_from < upper(c.slot) + after_held
                          AND ar.held_until > lower(c.slot) - before_held))
  SELECT x.provider, x.slot, x.overbook
    FROM (SELECT f.provider, f.slot, false AS overbook FROM free f
          UNION ALL
          SELECT t.provider, t.slot, true FROM taken t) x
   ORDER BY lower(x.slot), x.overbook, x.provider
   LIMIT max_results;
END $$;
COMMENT ON FUNCTION @extschema@.next_available_urgent(bigint[], timestamptz, text, bigint[], integer) IS
  'next_available for urgent requests (advice only): the earliest free slots (overbook false) merged with the provider''s overbook-eligible times in the next 14 days (overbook true: inside hours, outside the provider''s and the resources'' time off, resources not held, but the provider booked or full); book those through patsvc.book_overbook and its privilege; arguments and rights as next_available, and SELECT on time_off and appointment_resources';
REVOKE ALL ON FUNCTION @extschema@.next_available_urgent(bigint[], timestamptz, text, bigint[], integer),
  @extschema@.appointment_fhir(bigint), @extschema@.slots_fhir(bigint, tstzrange, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  @extschema@.next_available_urgent(bigint[], timestamptz, text, bigint[], integer),
  @extschema@.appointment_fhir(bigint),
  @extschema@.slots_fhir(bigint, tstzrange, text)
  TO patsvc_front_desk, patsvc_scheduler;
-- next_available_urgent reads the resource holds: they show no more than appointments.resources
GRANT SELECT ON @extschema@.appointment_resources TO patsvc_front_desk, patsvc_scheduler;
