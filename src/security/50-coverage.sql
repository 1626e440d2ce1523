-- ---- coverage (src/coverage): grants --------------------------------------
-- Payers are the practice's set-up (admin); everyone who works with patients'
-- coverages reads them.  Coverages (PHI): the front desk reads and writes
-- them (trigger coverages_check calls coverage_problem with the writer's
-- rights: it reads payers and the patient's birth date); billers read them.
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.payers TO patsvc_admin;
GRANT SELECT ON @extschema@.payers TO patsvc_front_desk, patsvc_scheduler, patsvc_biller, patsvc_records;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.coverages TO patsvc_front_desk;
GRANT SELECT ON @extschema@.coverages TO patsvc_biller;
GRANT EXECUTE ON FUNCTION @extschema@.coverage_problem(@extschema@.coverages) TO patsvc_front_desk;
GRANT EXECUTE ON FUNCTION @extschema@.coverage_on(bigint, date) TO patsvc_front_desk, patsvc_biller;
-- Eligibility verifications (PHI): written only by the two recording
-- functions (SECURITY DEFINER); the front desk records and reads them,
-- billers read them.  eligibility_on runs with the caller's rights.
GRANT SELECT ON @extschema@.eligibility_verifications TO patsvc_front_desk, patsvc_biller;
GRANT EXECUTE ON FUNCTION @extschema@.record_eligibility_271(bigint, text, date),
  @extschema@.record_eligibility_manual(bigint, date, boolean, text, numeric, numeric, numeric, numeric, boolean, boolean, date, date, text, text)
  TO patsvc_front_desk;
GRANT EXECUTE ON FUNCTION @extschema@.eligibility_on(bigint, date), @extschema@.eligibility_valid_days()
  TO patsvc_front_desk, patsvc_biller;

-- coverage, part B: booking requirements by appointment type, referrals,
-- prior authorizations.  The admin sets up what each type requires; the
-- front desk and the biller (who keeps authorizations) record referrals and
-- authorizations (their checks count the visits booked: visits_booked); nobody
-- writes what a booking used (appointments.coverage_id, referral_id,
-- authorization_id; view appointment_authorizations): trigger
-- appointments_visits does (PS547 for anyone else).
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.appointment_type_requirements TO patsvc_admin;
GRANT SELECT ON @extschema@.appointment_type_requirements TO patsvc_front_desk, patsvc_scheduler, patsvc_biller;
GRANT SELECT ON @extschema@.referrals, @extschema@.authorizations, @extschema@.appointment_authorizations
  TO patsvc_front_desk, patsvc_scheduler, patsvc_biller;
GRANT INSERT, UPDATE ON @extschema@.referrals, @extschema@.authorizations TO patsvc_front_desk, patsvc_biller;
GRANT EXECUTE ON FUNCTION @extschema@.visits_booked(text, bigint, bigint) TO patsvc_front_desk, patsvc_biller;
GRANT EXECUTE ON FUNCTION @extschema@.authorizations_expiring(interval)
  TO patsvc_front_desk, patsvc_scheduler, patsvc_biller;
GRANT SELECT ON @extschema@.authorization_visits, @extschema@.referral_visits
  TO patsvc_front_desk, patsvc_scheduler, patsvc_biller;
