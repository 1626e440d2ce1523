-- Issue 17, sections 5 and 6: priorities (the most urgent waiter gets a freed slot
-- first; urgent candidates with overbook-eligible times) and FHIR R4 output
-- (Appointment, Bundle of Slots) checked against the R4 JSON structure.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (61, 'Boston', 'America/New_York');
INSERT INTO providers (id, name) VALUES (61, 'Dr Urgent'), (62, 'Dr Other');
INSERT INTO patients (id, name) VALUES (61, 'Ann'), (62, 'Bob'), (63, 'Cid'), (64, 'Dee'), (65, 'Eve'), (66, 'Fay'), (67, 'Gus');
INSERT INTO appointment_types (id, code, duration_minutes, buffer_after_minutes)
VALUES (61, 'u-visit', 30, 0), (62, 'u-scan', 30, 10);
INSERT INTO resources (id, name, kind, location_id) VALUES (61, 'Room 1', 'exam-room', 61), (62, 'Scanner', 'ultrasound', 61);
-- Monday to Friday 08:00-10:00 in Boston (12:00-14:00Z in March 2027 after the DST change)
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 61, d, '08:00', '10:00' FROM generate_series(1, 5) d, (VALUES (61), (62)) v(p);

-- ---- 5. priority ------------------------------------------------------------
-- book without a priority (the old call) is routine; with one it is kept; others are refused
SELECT book(61, 61, '2027-03-15 12:00Z', 'u-visit') AS ann, book(62, 61, '2027-03-15 12:30Z', 'u-visit', '{}', 'urgent') AS bob,
       book(63, 61, '2027-03-15 13:00Z', 'u-visit', priority => 'stat') AS cid,
       book(64, 61, '2027-03-15 13:30Z', 'u-scan', '{61,62}', 'asap') AS dee;
SELECT patient_id, priority, priority_rank(priority) FROM appointments ORDER BY id;
SELECT book(65, 61, '2027-03-16 12:00Z', 'u-visit', '{}', 'emergency');
\set VERBOSITY terse
SELECT book(65, 61, '2027-03-16 12:00Z', 'u-visit', '{}', NULL);
\set VERBOSITY default
SELECT priority_rank('routine') AS routine, priority_rank('urgent') AS urgent, priority_rank('asap') AS asap,
       priority_rank('stat') AS stat, priority_rank('Urgent') AS unknown;
-- a rescheduled visit keeps its priority
SELECT reschedule(id, '2027-03-16 12:30Z') AS bob_moved FROM appointments WHERE patient_id = 62 \gset
SELECT id, status, priority, replaces FROM appointments WHERE patient_id = 62 ORDER BY id;

-- the waitlist: Eve (routine) waits first, Ann (urgent) joins later, Cid (urgent) later still
SELECT join_waitlist(65, 61, 'u-visit', '[2027-03-17 12:00Z, 2027-03-17 14:00Z)') AS eve_waits;
SELECT join_waitlist(61, 61, 'u-visit', '[2027-03-17 12:00Z, 2027-03-17 14:00Z)', 'urgent') AS ann_waits;
SELECT join_waitlist(63, 61, 'u-visit', '[2027-03-17 12:00Z, 2027-03-17 14:00Z)', 'urgent') AS cid_waits;
SELECT join_waitlist(64, 61, 'u-visit', '[2027-03-17 12:00Z, 2027-03-17 14:00Z)', 'soon');
SELECT patient_id, priority, status FROM waitlist ORDER BY id;
-- the day is full: Dee's visit frees 12:00; the urgent waiter who waited longest (Ann) gets the offer,
-- not Eve, who waited longer at routine priority
SELECT book(64, 61, '2027-03-17 12:00Z', 'u-visit') AS dee_17th \gset
SELECT cancel(:dee_17th, 'better') ;
SELECT w.patient_id, w.priority, o.slot FROM waitlist_offers o JOIN waitlist w ON w.id = o.waitlist_id ORDER BY o.id;
-- the next freed slot goes to the other urgent waiter (Cid), then Eve
SELECT book(64, 61, '2027-03-17 12:30Z', 'u-visit') AS dee_2 \gset
SELECT cancel(:dee_2, 'better');
SELECT book(64, 61, '2027-03-17 13:00Z', 'u-visit') AS dee_3 \gset
SELECT cancel(:dee_3, 'better');
SELECT w.patient_id, w.priority, o.slot FROM waitlist_offers o JOIN waitlist w ON w.id = o.waitlist_id ORDER BY o.id;
SELECT patient_id, priority, status FROM waitlist ORDER BY id;

-- urgent candidates: Monday the 22nd, Dr Urgent fully booked 12:00-14:00Z, Dr Other free from 13:00
SELECT count(book(60 + i, 61, timestamptz '2027-03-22 12:00Z' + (i - 1) * interval '30 minutes', 'u-visit')) AS booked
  FROM generate_series(1, 4) i;
SELECT count(book(65 + i, 62, timestamptz '2027-03-22 12:00Z' + (i - 1) * interval '30 minutes', 'u-visit')) AS booked
  FROM generate_series(1, 2) i;
-- next_available sees no time for Dr Urgent that day; the urgent search lists the booked times
-- as overbook candidates (earliest first, a free slot before an overbook at the same time)
SELECT * FROM next_available('{61}', '2027-03-22 12:00Z', 'u-visit', '{}', 2);
SELECT * FROM next_available_urgent('{61}', '2027-03-22 12:00Z', 'u-visit', '{}', 3);
SELECT * FROM next_available_urgent('{61,62}', '2027-03-22 12:00Z', 'u-visit', '{}', 7);
-- not during the provider's time off, nor when a requested resource is held or off
-- (over a visit booked above: applied anyway, it stays booked, flagged for rebooking)
SELECT apply_schedule_change($$INSERT INTO patsvc.time_off (provider_id, during) VALUES (61, '[2027-03-22 12:00Z, 2027-03-22 12:30Z)')$$) AS to_rebook;
SELECT count(book(65, 62, '2027-03-22 13:00Z', 'u-scan', '{62}')) AS scanner_held_13_to_13_40;
-- with the scanner: 12:00 is time off, 13:00 and 13:30 overlap the scanner's hold; 12:30 is left
SELECT * FROM next_available_urgent('{61}', '2027-03-22 12:00Z', 'u-visit', '{62}', 2);
INSERT INTO time_off (resource_id, during) VALUES (62, '[2027-03-22 12:45Z, 2027-03-22 12:50Z)');
SELECT * FROM next_available_urgent('{61}', '2027-03-22 12:00Z', 'u-visit', '{62}', 2);
-- buffers count: a scan at 12:30 would hold the scanner until 13:10, into the hold from 13:00
DELETE FROM time_off WHERE resource_id = 62;
SELECT * FROM next_available_urgent('{61}', '2027-03-22 12:00Z', 'u-scan', '{62}', 2);
-- advice only: book refuses the overbook candidate; book_overbook (its privilege) takes it
SELECT book(65, 61, '2027-03-22 13:00Z', 'u-visit');
SELECT book_overbook(65, 61, '2027-03-22 12:30Z', 'u-visit', '{}', 'urgent: chest pain') IS NOT NULL AS overbooked;
-- arguments as next_available
SELECT * FROM next_available_urgent('{61}', '2027-03-22 12:00Z', 'u-visit', '{}', 0);
SELECT * FROM next_available_urgent('{61}', 'infinity', 'u-visit', '{}', 1);
SELECT * FROM next_available_urgent('{61}', '2027-03-22 12:00Z', 'no-such-type', '{}', 1);
SELECT count(*) FROM next_available_urgent('{61}', NULL, 'u-visit', '{}', 1);

-- ---- 6. FHIR out --------------------------------------------------------------
-- The R4 structure the output must have, as a list of violations (none expected):
-- required elements, codes of the value sets, primitive formats, references, and
-- FHIR JSON's rules (no null, no empty array or object).
CREATE FUNCTION pg_temp.r4_common_errors(r jsonb) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT 'null value' WHERE jsonb_path_exists(r, 'strict $.** ? (@.type() == "null")')
  UNION ALL SELECT 'empty array' WHERE jsonb_path_exists(r, 'strict $.** ? (@.type() == "array" && @.size() == 0)')
  UNION ALL SELECT 'empty object' WHERE jsonb_path_exists(r, 'strict $.** ? (@.type() == "object")')
                    AND EXISTS (SELECT 1 FROM jsonb_path_query(r, 'strict $.** ? (@.type() == "object")') o WHERE o = '{}')
  UNION ALL SELECT 'id is not a FHIR id' WHERE r ? 'id' AND NOT jsonb_path_exists(r, '$.id ? (@ like_regex "^[A-Za-z0-9\\-\\.]{1,64}$")')
$$;
CREATE FUNCTION pg_temp.r4_instant_ok(j jsonb, path jsonpath) RETURNS boolean LANGUAGE sql AS $$
  SELECT jsonb_path_exists(j, path) AND NOT jsonb_path_exists(j, (path::text || ' ? (!(@ like_regex "^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$"))')::jsonpath)
$$;
CREATE FUNCTION pg_temp.r4_appointment_errors(r jsonb) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT e FROM pg_temp.r4_common_errors(r) e
  UNION ALL SELECT 'resourceType is not Appointment' WHERE r->>'resourceType' IS DISTINCT FROM 'Appointment'
  -- status 1..1, required binding to http://hl7.org/fhir/ValueSet/appointmentstatus
  UNION ALL SELECT 'status missing or not in appointmentstatus' WHERE NOT coalesce(r->>'status' IN
      ('proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error',
       'checked-in', 'waitlist'), false)
  -- participant 1..*: actor a reference, required (participantrequired), status 1..1 (participationstatus)
  UNION ALL SELECT 'participant missing' WHERE jsonb_typeof(r->'participant') IS DISTINCT FROM 'array'
  UNION ALL SELECT 'participant without a valid status'
   WHERE jsonb_path_exists(r, 'lax $.participant[*] ? (!exists(@.status) || !(@.status == "accepted" || @.status == "declined" || @.status == "tentative" || @.status == "needs-action"))')
  UNION ALL SELECT 'participant with a wrong required code'
   WHERE jsonb_path_exists(r, 'lax $.participant[*] ? (exists(@.required) && !(@.required == "required" || @.required == "optional" || @.required == "information-only"))')
  UNION ALL SELECT 'participant actor is not a Patient, Practitioner, Location or Device reference'
   WHERE jsonb_path_exists(r, 'lax $.participant[*] ? (!(@.actor.reference like_regex "^(Patient|Practitioner|PractitionerRole|RelatedPerson|Device|HealthcareService|Location)/[A-Za-z0-9\\-\\.]{1,64}$"))')
  UNION ALL SELECT 'no Patient participant' WHERE NOT jsonb_path_exists(r, '$.participant[*].actor.reference ? (@ starts with "Patient/")')
  -- app-2 start and end together; app-3 only proposed, cancelled or waitlist without them
  UNION ALL SELECT 'start or end alone' WHERE (r ? 'start') <> (r ? 'end')
  UNION ALL SELECT 'start missing' WHERE NOT r ? 'start' AND r->>'status' NOT IN ('proposed', 'cancelled', 'waitlist')
  UNION ALL SELECT 'start is not an instant' WHERE r ? 'start' AND NOT pg_temp.r4_instant_ok(r, '$.start')
  UNION ALL SELECT 'end is not an instant' WHERE r ? 'end' AND NOT pg_temp.r4_instant_ok(r, '$.end')
  UNION ALL SELECT 'start after end' WHERE (r->>'start')::timestamptz > (r->>'end')::timestamptz
  UNION ALL SELECT 'created is not a dateTime' WHERE r ? 'created' AND NOT pg_temp.r4_instant_ok(r, '$.created')
  -- priority unsignedInt, minutesDuration positiveInt
  UNION ALL SELECT 'priority is not an unsignedInt'
   WHERE r ? 'priority' AND NOT jsonb_path_exists(r, '$.priority ? (@.type() == "number" && @ >= 0 && @ == @.floor())')
  UNION ALL SELECT 'minutesDuration is not a positiveInt'
   WHERE r ? 'minutesDuration' AND NOT jsonb_path_exists(r, '$.minutesDuration ? (@.type() == "number" && @ >= 1 && @ == @.floor())')
  -- serviceType: CodeableConcept[]
  UNION ALL SELECT 'serviceType is not a CodeableConcept list'
   WHERE r ? 'serviceType' AND (jsonb_typeof(r->'serviceType') <> 'array'
         OR jsonb_path_exists(r, 'lax $.serviceType[*].coding[*] ? (!exists(@.code) || !exists(@.system))'))
  -- app-4: cancelationReason only when cancelled or noshow
  UNION ALL SELECT 'cancelationReason on a live appointment'
   WHERE r ? 'cancelationReason' AND r->>'status' NOT IN ('cancelled', 'noshow')
  UNION ALL SELECT 'extension without url or value'
   WHERE jsonb_path_exists(r, 'lax $.extension[*] ? (!exists(@.url) || !exists(@.valueReference.reference))')
  -- elements R4 does not define on Appointment
  UNION ALL SELECT 'unknown element ' || k FROM jsonb_object_keys(r) k
   WHERE k NOT IN ('resourceType', 'id', 'meta', 'text', 'extension', 'identifier', 'status', 'cancelationReason',
                   'serviceCategory', 'serviceType', 'specialty', 'appointmentType', 'reasonCode', 'priority',
                   'description', 'start', 'end', 'minutesDuration', 'slot', 'created', 'comment', 'basedOn',
                   'participant', 'requestedPeriod', 'patientInstruction', 'supportingInformation', 'reasonReference')
$$;
CREATE FUNCTION pg_temp.r4_bundle_errors(b jsonb) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT e FROM pg_temp.r4_common_errors(b) e
  UNION ALL SELECT 'resourceType is not Bundle' WHERE b->>'resourceType' IS DISTINCT FROM 'Bundle'
  -- type 1..1 from http://hl7.org/fhir/ValueSet/bundle-type
  UNION ALL SELECT 'type missing or not in bundle-type' WHERE NOT coalesce(b->>'type' IN
      ('document', 'message', 'transaction', 'transaction-response', 'batch', 'batch-response', 'history',
       'searchset', 'collection'), false)
  UNION ALL SELECT 'total is not an unsignedInt' WHERE b ? 'total' AND jsonb_typeof(b->'total') <> 'number'
  -- total: the number of matches, of which the entries may be a page
  UNION ALL SELECT 'total less than the entries' WHERE (b->>'total')::int < coalesce(jsonb_array_length(b->'entry'), 0)
  UNION ALL SELECT 'entry search mode not match/include/outcome'
   WHERE jsonb_path_exists(b, 'lax $.entry[*] ? (!(@.search.mode == "match" || @.search.mode == "include" || @.search.mode == "outcome"))')
  UNION ALL SELECT 'entry resource is not a Slot' WHERE jsonb_path_exists(b, 'lax $.entry[*].resource ? (@.resourceType != "Slot")')
  -- Slot: schedule 1..1 Reference(Schedule), status 1..1 slotstatus, start 1..1, end 1..1 instants
  UNION ALL SELECT 'Slot without a Schedule reference'
   WHERE jsonb_path_exists(b, 'lax $.entry[*].resource ? (!(@.schedule.reference like_regex "^Schedule/[A-Za-z0-9\\-\\.]{1,64}$"))')
  UNION ALL SELECT 'Slot status missing or not in slotstatus'
   WHERE jsonb_path_exists(b, 'lax $.entry[*].resource ? (!exists(@.status) || !(@.status == "busy" || @.status == "free" || @.status == "busy-unavailable" || @.status == "busy-tentative" || @.status == "entered-in-error"))')
  UNION ALL SELECT 'Slot start or end missing' WHERE jsonb_path_exists(b, 'lax $.entry[*].resource ? (!exists(@.start) || !exists(@.end))')
  UNION ALL SELECT 'Slot start or end is not an instant' FROM jsonb_array_elements(b->'entry') x
   WHERE NOT (pg_temp.r4_instant_ok(x->'resource', '$.start') AND pg_temp.r4_instant_ok(x->'resource', '$.end'))
  UNION ALL SELECT 'Slot id is not a FHIR id'
   WHERE jsonb_path_exists(b, 'lax $.entry[*].resource ? (!(@.id like_regex "^[A-Za-z0-9\\-\\.]{1,64}$"))')
$$;

-- the validator finds what is wrong (so an empty list below means something)
SELECT pg_temp.r4_appointment_errors('{"resourceType": "Appointment", "status": "canceled", "start": "2027-03-15 12:00",
  "participant": [{"actor": {"reference": "Patient/1"}, "status": "yes", "required": "must"}], "priority": -1,
  "cancelationReason": {}, "reason": null}') AS detected ORDER BY 1;
SELECT pg_temp.r4_bundle_errors('{"resourceType": "Bundle", "type": "searchresult", "total": 0, "entry": [{"search": {"mode": "match"},
  "resource": {"resourceType": "Slot", "id": "a_b", "status": "open", "start": "2027-03-15T12:00:00", "schedule": {"reference": "Practitioner/1"}}}]}') AS detected
 ORDER BY 1;

-- every appointment written above, whatever its status, is a valid R4 Appointment
SELECT a.id, a.status, e AS error FROM appointments a, pg_temp.r4_appointment_errors(appointment_fhir(a.id)) e ORDER BY 1, 3;
SELECT set_status(id, 'arrived') FROM appointments WHERE patient_id = 61 AND starts_at = '2027-03-15 12:00Z';
SELECT set_status(id, 'noshow') FROM appointments WHERE patient_id = 63 AND starts_at = '2027-03-15 13:00Z';
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, status) VALUES (65, 62, 61, '2027-03-23 12:00Z', 'proposed');
SELECT a.status, count(*) AS appointments, count(e) AS errors
  FROM appointments a LEFT JOIN LATERAL pg_temp.r4_appointment_errors(appointment_fhir(a.id)) e ON true
 GROUP BY a.status ORDER BY 1;
-- what it says: Dee's asap scan (room = Location, scanner = Device, local time with offset), Bob's moved
-- urgent visit (the one it replaces), a cancelled one (reason), a no-show
SELECT jsonb_pretty(appointment_fhir(id) - 'created') FROM appointments WHERE patient_id = 64 AND starts_at = '2027-03-15 13:30Z';
SELECT jsonb_pretty(appointment_fhir(:bob_moved) - 'created');
SELECT appointment_fhir(:dee_17th) - 'created' - 'participant' - 'serviceType' AS cancelled;
SELECT appointment_fhir(id) #> '{participant,0}' AS noshow_patient, appointment_fhir(id) ? 'cancelationReason' AS has_reason
  FROM appointments WHERE status = 'noshow';
SELECT (appointment_fhir(id)->>'start')::timestamptz = starts_at AS same_instant, appointment_fhir(id)->>'start' AS start
  FROM appointments WHERE status = 'proposed';
SELECT appointment_fhir(999999);
SELECT appointment_fhir(NULL) IS NULL AS null_in_null_out;

-- slots: a Bundle of the free slots of free_slots, valid R4
SELECT pg_temp.r4_bundle_errors(slots_fhir(62, '[2027-03-22 00:00Z, 2027-03-27 00:00Z)', 'u-visit')) AS error;
SELECT (slots_fhir(62, '[2027-03-22 00:00Z, 2027-03-27 00:00Z)', 'u-visit')->>'total')::int AS total,
       (SELECT count(*) FROM free_slots(62, '[2027-03-22 00:00Z, 2027-03-27 00:00Z)', 'u-visit')) AS free_slots;
SELECT jsonb_pretty(slots_fhir(61, '[2027-03-15 13:00Z, 2027-03-15 13:31Z)', 'u-visit'));
-- nothing free: a Bundle without entries (FHIR JSON has no empty arrays), still valid
SELECT slots_fhir(61, '[2027-03-22 12:00Z, 2027-03-22 14:00Z)', 'u-visit') AS none_free;
SELECT pg_temp.r4_bundle_errors(slots_fhir(61, '[2027-03-22 12:00Z, 2027-03-22 14:00Z)', 'u-visit')) AS error;
-- a long window: total counts every free slot, the entries are the first 1,000, earliest first
SELECT b->'total' AS total, jsonb_array_length(b->'entry') AS entries,
       b #>> '{entry,0,resource,start}' AS first, b #>> '{entry,999,resource,start}' AS last,
       (SELECT count(*) FROM free_slots(62, '[2027-04-01 00:00Z, 2028-05-01 00:00Z)', 'u-visit')) AS free_slots
  FROM slots_fhir(62, '[2027-04-01 00:00Z, 2028-05-01 00:00Z)', 'u-visit') AS b;
SELECT lower(s) AS slot_1000 FROM free_slots(62, '[2027-04-01 00:00Z, 2028-05-01 00:00Z)', 'u-visit') s
 ORDER BY 1 OFFSET 999 LIMIT 1;
SELECT pg_temp.r4_bundle_errors(slots_fhir(62, '[2027-04-01 00:00Z, 2028-05-01 00:00Z)', 'u-visit')) AS error;
-- bounds as free_slots
SELECT slots_fhir(61, '[2027-01-01, 2029-01-01)', 'u-visit');
SELECT slots_fhir(61, '[2027-01-01,)', 'u-visit');
SELECT slots_fhir(61, '[2027-01-01, 2027-01-02)', 'no-such-type');

-- rights: the functions run as the caller (not SECURITY DEFINER): EXECUTE alone reads nothing
CREATE ROLE regress_fhir_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA patsvc TO regress_fhir_reader;
SET ROLE regress_fhir_reader;
SELECT appointment_fhir(1);
SELECT slots_fhir(61, '[2027-03-15 12:00Z, 2027-03-15 14:00Z)', 'u-visit');
SELECT * FROM next_available_urgent('{61}', '2027-03-22 12:00Z', 'u-visit', '{}', 1);
RESET ROLE;
-- the front desk reads them all
SET ROLE patsvc_front_desk;
SELECT appointment_fhir(id)->>'status' AS status FROM appointments WHERE patient_id = 64 AND starts_at = '2027-03-15 13:30Z';
SELECT slots_fhir(62, '[2027-03-22 13:00Z, 2027-03-22 14:00Z)', 'u-visit')->>'total' AS total;
SELECT count(*) FROM next_available_urgent('{61,62}', '2027-03-22 12:00Z', 'u-scan', '{61}', 5);
RESET ROLE;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA patsvc FROM regress_fhir_reader;
DROP ROLE regress_fhir_reader;

SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off,
         availability, appointment_types, resources, consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
