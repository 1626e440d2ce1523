-- ===== roles and privileges (src/security) =====
-- Runs last: it decides who may use what the areas above created.  The
-- pattern, for today's areas and every later one (registration, coverage,
-- billing, records):
--   1. the group roles below, one per job, NOLOGIN, created once per cluster;
--      a DBA makes people members (GRANT patsvc_front_desk TO alice);
--   2. PUBLIC keeps EXECUTE only on the functions listed in step 2 (code
--      types, code-set lookups, calculators that read no table, and the two
--      functions trigger WHEN clauses call for every writer); every other
--      patsvc function, trigger functions and internal helpers included, is
--      revoked from PUBLIC here, whatever area created it;
--   3. each area's section grants each role exactly what its job needs.
-- Tables are revoked from PUBLIC where they are created; PUBLIC reads only
-- reference data without patient information (code sets, retention policies,
-- the list of protected tables).  test test/sql/security_matrix.sql lists every
-- role's right on every function and table: a new object shows up there.

-- ---- 1. the roles (cluster-wide: created if missing, never dropped) -------
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT v.name, v.job FROM (VALUES
    ('patsvc_front_desk', 'patsvc: registers patients, books, cancels and moves visits, keeps the waitlist'),
    ('patsvc_scheduler', 'patsvc: keeps the providers'' calendars (hours, time off), books, overbooks, sends reminders'),
    ('patsvc_biller', 'patsvc: reads visits, patients, providers and types to bill them (code sets are public)'),
    ('patsvc_records', 'patsvc: medical records staff: patient facts for retention, retention status of records'),
    ('patsvc_privacy_officer', 'patsvc: retention governance: policies, protection, legal holds, destruction, certificates, the event log'),
    ('patsvc_admin', 'patsvc: sets up the practice (providers, locations, resources, appointment types, reminder rules) and loads code sets; no patient data')
  ) AS v(name, job)
  LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r.name) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r.name);
    END IF;
    EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r.name, r.job);
  END LOOP;
END $$;

-- ---- 2. functions: PUBLIC keeps only these, by name -----------------------
DO $$
DECLARE
  f pg_catalog.regprocedure;
BEGIN
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
              -- code types: I/O, comparison, validity (src/codes/codetype.sql.in)
              AND p.proname !~ '^(icd10cm|icd10pcs|cpt|hcpcs|code_modifier|npi|ndc|mbi)_(in|out|recv|send|eq|ne|lt|le|gt|ge|cmp|sortsupport|hash|hash_extended)$'
              AND p.proname !~ '^is_valid_(icd10cm|icd10pcs|cpt|hcpcs|code_modifier|npi|ndc|mbi)$'
              AND p.proname OPERATOR(pg_catalog.<>) ALL (ARRAY[
                'version',
                -- code types and code sets: reference data without patient information
                'icd10cm_category', 'icd10cm_chapter', 'icd10pcs_section', 'icd10pcs_section_name', 'cpt_category',
                'npi_check_digit', 'ndc_to_837', 'ndc_labeler', 'ndc_product', 'ndc_package', 'mbi_format_dashed',
                'icd10cm_billable', 'hcpcs_active', 'icd10cm_description',
                -- calculators that read no table (is_time_zone and is_calendar_period are in CHECKs)
                'is_time_zone', 'enforcement_level', 'retention_period', 'is_calendar_period',
                'retention_anchor_date', 'compute_retain_until', 'anchor_cutoff', 'tokens_digest', 'random_tokens',
                'certificate_text', 'certificate_hash', 'priority_rank', 'fhir_instant',
                'mrn_canonical', 'jaro_winkler', 'name_phonetic', '_find_best_reading',
                -- called by coverage's checks of requirements, referrals and authorizations
                'is_service_code', 'check_visits',
                -- called by trigger WHEN clauses, with the rights of whoever writes the table
                'is_destroying', 'appointment_gets_reminders',
                -- called by the guards of consents and patients, with the rights of whoever writes them
                'merge_moving',
                -- called by the event trigger _guard_ddl, with the rights of whoever runs DDL
                '_retention_tables',
                -- called first by patsvc's PL/pgSQL trigger functions, with the rights of whoever writes their tables
                '_trigger_bound']::pg_catalog.name[])
            ORDER BY p.oid
  LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END $$;

-- ---- 3. grants, area by area -----------------------------------------------
-- codes: the tables and lookups are PUBLIC; loading releases is the admin's.
GRANT EXECUTE ON FUNCTION @extschema@.import_icd10cm_order(text, date, date, text),
                          @extschema@.import_hcpcs(text, date, date, text) TO patsvc_admin;

-- registry, consents (PHI): the front desk records and reads them (INSERT:
-- trigger consents_guard calls consent_problem with the caller's rights) and
-- revokes them (revoke_consent runs as the owner: no role has UPDATE);
-- records staff read them (releases of information); consent_in_force
-- answers yes or no without the table (it runs as the owner) for those who
-- check in, bill or release records.
GRANT SELECT, INSERT ON @extschema@.consents TO patsvc_front_desk;
GRANT SELECT ON @extschema@.consents TO patsvc_records;
GRANT EXECUTE ON FUNCTION
  @extschema@.record_consent(bigint, text, timestamptz, text, text, text, date, date, text, text),
  @extschema@.revoke_consent(bigint, text),
  @extschema@.consent_problem(@extschema@.consents)
  TO patsvc_front_desk;
GRANT EXECUTE ON FUNCTION @extschema@.consent_in_force(bigint, text, date)
  TO patsvc_front_desk, patsvc_scheduler, patsvc_biller, patsvc_records;

-- scheduling: the practice's set-up (admin), calendars (scheduler), bookings
-- (front desk, scheduler), reading what was booked (biller, records).
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.providers, @extschema@.locations, @extschema@.resources,
  @extschema@.appointment_types, @extschema@.reminder_rules TO patsvc_admin;

-- registry: the front desk registers and updates patients (next_mrn() is the
-- default of patients.mrn, so inserting needs it); everyone who reads patients
-- may look one up by MRN; the history of demographics is read by the front
-- desk (to see and undo a wrong edit), records staff and the privacy officer.
GRANT EXECUTE ON FUNCTION @extschema@.register_patient(text, text, date, text, text, text, text, text, text, text, text, text, text, text, text, text, text, boolean),
                          @extschema@.update_patient(bigint, jsonb, boolean),
                          @extschema@.next_mrn() TO patsvc_front_desk;
GRANT EXECUTE ON FUNCTION @extschema@.patient_by_mrn(text)
  TO patsvc_front_desk, patsvc_scheduler, patsvc_biller, patsvc_records;
-- find_patients runs with the caller's rights: it finds what the caller may
-- read (SELECT on patients) and reads the nicknames (no patient data)
GRANT EXECUTE ON FUNCTION @extschema@.find_patients(text, date, integer),
                          @extschema@._find_patients(text, date, integer),
                          @extschema@._find_level(text, text, text, text, text),
                          @extschema@._find_prefix_end(text),
                          @extschema@._find_date(text)
  TO patsvc_front_desk, patsvc_scheduler, patsvc_biller, patsvc_records;
GRANT SELECT ON @extschema@.given_name_variants TO patsvc_scheduler, patsvc_biller, patsvc_records;
GRANT SELECT ON @extschema@.patient_changes TO patsvc_front_desk, patsvc_records, patsvc_privacy_officer;
GRANT SELECT ON @extschema@.patient_distinct_pairs TO patsvc_front_desk, patsvc_records;
GRANT SELECT, INSERT, UPDATE ON @extschema@.patient_guardians TO patsvc_front_desk;
GRANT SELECT ON @extschema@.patient_guardians TO patsvc_records;
GRANT EXECUTE ON FUNCTION @extschema@.add_guardian(bigint, text, text, text, text, bigint, date, date) TO patsvc_front_desk;
GRANT SELECT, INSERT, DELETE ON @extschema@.given_name_variants TO patsvc_admin;
GRANT SELECT ON @extschema@.given_name_variants TO patsvc_front_desk;
-- merging duplicates: medical records staff (who keep the master patient
-- index) merge; merge_patients runs as the owner (it moves rows of every
-- table holding patient ids, consents included).  The front desk sees the
-- merges and retired MRNs; whoever reads patients may read the aliases.
-- patient_references is the owner's: a registered column is updated by
-- merges with the owner's rights.
GRANT EXECUTE ON FUNCTION @extschema@.merge_patients(bigint, bigint, text) TO patsvc_records;
GRANT SELECT ON @extschema@.patient_merges TO patsvc_front_desk, patsvc_records, patsvc_privacy_officer;
GRANT SELECT ON @extschema@.patient_mrn_aliases TO patsvc_front_desk, patsvc_scheduler, patsvc_biller, patsvc_records;
GRANT EXECUTE ON FUNCTION @extschema@.patient_reference_columns() TO patsvc_records;

GRANT SELECT, INSERT, UPDATE ON @extschema@.patients TO patsvc_front_desk;
GRANT SELECT ON @extschema@.patients TO patsvc_scheduler, patsvc_biller, patsvc_records;
GRANT SELECT ON @extschema@.providers, @extschema@.locations, @extschema@.resources, @extschema@.appointment_types
  TO patsvc_front_desk, patsvc_scheduler;
GRANT SELECT ON @extschema@.providers, @extschema@.locations, @extschema@.appointment_types TO patsvc_biller;
GRANT SELECT ON @extschema@.availability, @extschema@.time_off TO patsvc_front_desk;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.availability, @extschema@.time_off TO patsvc_scheduler;
GRANT SELECT, INSERT, UPDATE ON @extschema@.appointments, @extschema@.waitlist TO patsvc_front_desk, patsvc_scheduler;
GRANT SELECT ON @extschema@.appointments TO patsvc_biller, patsvc_records;
GRANT SELECT ON @extschema@.waitlist_offers TO patsvc_front_desk, patsvc_scheduler;
GRANT SELECT ON @extschema@.reminder_rules TO patsvc_scheduler;
GRANT SELECT, UPDATE ON @extschema@.reminders TO patsvc_scheduler;
GRANT USAGE ON SEQUENCE @extschema@.series_id_seq TO patsvc_front_desk, patsvc_scheduler;
GRANT EXECUTE ON FUNCTION
  @extschema@.appointment_type_id(text),
  @extschema@.book(bigint, bigint, timestamptz, text, bigint[], text),
  @extschema@.find_appointment(bigint),
  @extschema@.cancel(bigint, text),
  @extschema@.set_status(bigint, text),
  @extschema@.reschedule(bigint, timestamptz, bigint),
  @extschema@.book_series(bigint, bigint, timestamptz, text, integer, integer, bigint[], text),
  @extschema@.join_waitlist(bigint, bigint, text, tstzrange, text),
  @extschema@.slot_is_free(bigint, timestamptz, bigint, bigint[]),
  @extschema@.candidate_slots(bigint, tstzrange, bigint),
  @extschema@.check_search_window(tstzrange),
  @extschema@.free_slots_sweep(bigint, tstzrange, bigint),
  @extschema@.free_slots(bigint, tstzrange, text),
  @extschema@.next_available_sweep(bigint[], timestamptz, bigint, bigint[], integer),
  @extschema@.next_available(bigint[], timestamptz, text, bigint[], integer),
  @extschema@.next_available_urgent(bigint[], timestamptz, text, bigint[], integer),
  @extschema@.appointment_fhir(bigint),
  @extschema@.slots_fhir(bigint, tstzrange, text),
  @extschema@.appointments_needing_rebooking()
  TO patsvc_front_desk, patsvc_scheduler;
-- a change that leaves booked visits to rebook: calendars (scheduler), types and resources (admin);
-- the statement runs with the caller's rights, so each needs the table's privilege as well
GRANT EXECUTE ON FUNCTION @extschema@.apply_schedule_change(text) TO patsvc_scheduler, patsvc_admin;
-- next_available_urgent reads the resource holds: they show no more than appointments.resources
GRANT SELECT ON @extschema@.appointment_resources TO patsvc_front_desk, patsvc_scheduler;
GRANT EXECUTE ON FUNCTION
  @extschema@.book_overbook(bigint, bigint, timestamptz, text, bigint[], text),
  @extschema@.claim_due_reminders(timestamptz, integer)
  TO patsvc_scheduler;

-- retention: records staff keep the patient facts and read retention status;
-- the privacy officer governs.  destroy_early() is granted to no role: a DBA
-- grants it to the person who may destroy early.  protect() also needs the
-- table's ownership (it creates triggers), so its owner runs it.
GRANT SELECT, INSERT, UPDATE ON @extschema@.retention_patient_facts TO patsvc_records;
GRANT SELECT ON @extschema@.retention_patient_facts, @extschema@.retention_events, @extschema@.retention_holds,
  @extschema@.destruction_certificates, @extschema@.destruction_tokens TO patsvc_privacy_officer;
GRANT INSERT, UPDATE ON @extschema@.retention_policies TO patsvc_privacy_officer;
GRANT INSERT ON @extschema@.protected_tables TO patsvc_privacy_officer;
GRANT SELECT, INSERT ON @extschema@.retention_archives TO patsvc_privacy_officer;
GRANT EXECUTE ON FUNCTION
  @extschema@.retention_status(regclass),
  @extschema@.retention_due(regclass, date),
  @extschema@.retained_until(regclass, text, date)
  TO patsvc_records, patsvc_privacy_officer;
GRANT EXECUTE ON FUNCTION
  @extschema@.create_policy(text, text, text, text, text, text, integer, integer),
  @extschema@.protect(regclass, text, name, name),
  @extschema@.set_archive(regclass, regclass),
  @extschema@.place_hold(text, text, text, regclass),
  @extschema@.release_hold(bigint, text),
  @extschema@.destroy_due(regclass, date, text, text, text, integer, boolean),
  @extschema@.destroy_due_all(text, text, date, text),
  @extschema@.verify_certificates(),
  @extschema@.certificate_tokens(bigint),
  @extschema@.token_set_digest(bigint),
  -- what create_policy, protect and set_archive call with the caller's rights (their
  -- events are written by patsvc's trigger, as the owner of its tables: no grant)
  @extschema@._policy(text),
  @extschema@._protected(regclass),
  @extschema@._protect_check(regclass, text, name, name),
  @extschema@._protect_guard_triggers(regclass, name, name),
  @extschema@.retention_guard_row(),
  @extschema@.retention_guard_truncate()
  TO patsvc_privacy_officer;
-- cryptographic erase: seal/unseal check the caller's right on the table (INSERT or
-- UPDATE, SELECT) and are granted to records staff (a DBA grants them to the roles
-- that write and read encrypted columns); the privacy officer registers columns
-- (encrypt_columns inserts with the caller's rights) and shreds a patient's key.
-- export_patient_keys/import_patient_keys are granted to no role: a DBA grants them
-- to whoever keeps the key vault.
GRANT EXECUTE ON FUNCTION
  @extschema@.seal(regclass, text, text),
  @extschema@.unseal(regclass, text, bytea)
  TO patsvc_records, patsvc_privacy_officer;
GRANT INSERT ON @extschema@.encrypted_columns TO patsvc_privacy_officer;
GRANT EXECUTE ON FUNCTION
  @extschema@.encrypt_columns(regclass, text[]),
  @extschema@.shred_patient(text, text)
  TO patsvc_privacy_officer;
