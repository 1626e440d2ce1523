-- Urgency (priority_rank, next_available_urgent) and FHIR R4 output
-- (appointment_fhir, slots_fhir).  All run with the caller's rights: the
-- caller needs SELECT on the tables they read (42501 from the table if not).

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
