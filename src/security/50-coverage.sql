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
