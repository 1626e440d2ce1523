-- ===== security: trigger functions bound to their tables, roles and grants (issue 10) =====
-- What src/security/10-roles.sql and the changed definitions below do in a fresh
-- install.  The C trigger functions check their table in the new library
-- (same symbols); the two SECURITY DEFINER plpgsql triggers check TG_RELID.

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
  -- the longest-waiting patient whose window holds the freed start, if the slot is now free for them
  FOR w IN
    SELECT wl.id, wl.type_id, t.duration_minutes FROM @extschema@.waitlist wl
      JOIN @extschema@.appointment_types t ON t.id OPERATOR(pg_catalog.=) wl.type_id
     WHERE wl.provider_id OPERATOR(pg_catalog.=) NEW.provider_id AND wl.status OPERATOR(pg_catalog.=) 'waiting'
       AND wl.search_window OPERATOR(pg_catalog.@>) slot_start
     ORDER BY wl.created_at, wl.id
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

CREATE OR REPLACE FUNCTION @extschema@.reminders_schedule() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET TimeZone = 'UTC'   -- lead times are elapsed time (1 day = 24 hours), whatever the session zone
AS $$
BEGIN
  -- SECURITY DEFINER: on any table but appointments it would move reminders for whoever attached it
  IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.appointments'::pg_catalog.regclass::pg_catalog.oid THEN
    RAISE EXCEPTION USING ERRCODE = 'PS001',
      MESSAGE = pg_catalog.format('trigger function patsvc.reminders_schedule() cannot run on table "%s"', TG_TABLE_NAME),
      DETAIL = 'It works only on patsvc.appointments, where patsvc attaches it.',
      HINT = pg_catalog.format('Drop trigger "%s" from table "%s"; patsvc''s trigger functions are not for other tables.',
                               TG_NAME, TG_TABLE_NAME);
  END IF;
  INSERT INTO @extschema@.reminders (appointment_id, rule_id, due_at, for_start)
  SELECT NEW.id, r.id, NEW.starts_at OPERATOR(pg_catalog.-) r.lead_time, NEW.starts_at
    FROM @extschema@.reminder_rules r WHERE r.type_id OPERATOR(pg_catalog.=) NEW.type_id
  ON CONFLICT (appointment_id, rule_id) DO UPDATE
    SET due_at = EXCLUDED.due_at, for_start = EXCLUDED.for_start, claimed_at = NULL, claimed_by = NULL;
  RETURN NULL;
END $$;

-- retention_archives is not for PUBLIC (the README always said so)
REVOKE SELECT ON @extschema@.retention_archives FROM PUBLIC;

-- Roles and grants: 99-roles.sql, which is src/security/10-roles.sql itself (run last,
-- as in a fresh install, so both end with the same privileges).
