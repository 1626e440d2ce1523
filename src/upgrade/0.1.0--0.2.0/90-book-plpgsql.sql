-- 90: book() in plpgsql (issue 17, section 1): its INSERT is planned once per session.
CREATE OR REPLACE FUNCTION @extschema@.book(patient bigint, provider bigint, starts_at timestamptz,
                                 appointment_type text, resources bigint[] DEFAULT '{}',
                                 priority text DEFAULT 'routine')
  RETURNS bigint LANGUAGE plpgsql
AS $$
-- plpgsql, not sql: a SQL function with arguments is parsed and planned again on
-- every call; plpgsql keeps the INSERT's plan for the session (1.3-1.5x the bookings
-- per second, measured with pgbench, one book() per transaction)
DECLARE
  new_id bigint;
BEGIN
  INSERT INTO @extschema@.appointments (patient_id, provider_id, starts_at, type_id, resources, priority)
  VALUES (patient, provider, starts_at, @extschema@.appointment_type_id(appointment_type), resources, priority)
  RETURNING @extschema@.appointments.id INTO new_id;
  RETURN new_id;
END $$;
