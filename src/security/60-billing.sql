-- ---- billing (src/billing) ----------------------------------------------------
-- Encounters are PHI.  The biller keeps the superbill: reads and writes
-- encounters, their diagnoses and lines (the triggers enforce the rules: drafts
-- only, legal transitions, the scrubber on finalizing), scrubs and finalizes.
-- The front desk starts the superbill of a visit at check-out (start_encounter,
-- which runs as the owner and returns the encounter id) but reads no encounter.
-- Records staff read encounters (releases of information, merges).  The admin
-- sets up the practice: fee schedule, the clinic's places of service, and loads
-- NCCI edits and MUEs like the other code sets.  Reference data without patient
-- information (places of service, NCCI PTP, MUE, the scrubber's rule table) is
-- PUBLIC to read, and so are the calculators that read no table.
GRANT EXECUTE ON FUNCTION @extschema@.claim_rules(),
                          @extschema@.encounter_transition_legal(text, text),
                          @extschema@.diagnosis_letter(integer),
                          @extschema@.procedure_code(text) TO PUBLIC;

GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.encounters, @extschema@.encounter_diagnoses,
                                        @extschema@.encounter_lines TO patsvc_biller;
GRANT SELECT ON @extschema@.encounters, @extschema@.encounter_diagnoses, @extschema@.encounter_lines TO patsvc_records;
-- called by the triggers of encounters and lines with the rights of whoever writes them
GRANT EXECUTE ON FUNCTION @extschema@.encounter_require_draft(bigint),
                          @extschema@.line_default_charge(bigint, text, numeric),
                          @extschema@.claim_errors_now(bigint) TO patsvc_biller;
GRANT EXECUTE ON FUNCTION @extschema@.claim_problems(bigint),
                          @extschema@.finalize_encounter(bigint),
                          @extschema@.set_encounter_status(bigint, text) TO patsvc_biller;
GRANT EXECUTE ON FUNCTION @extschema@.start_encounter(bigint, text, @extschema@.npi) TO patsvc_front_desk, patsvc_biller;

GRANT SELECT ON @extschema@.fee_schedule TO patsvc_biller;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.fee_schedule TO patsvc_admin;
GRANT INSERT, UPDATE, DELETE ON @extschema@.places_of_service TO patsvc_admin;
GRANT EXECUTE ON FUNCTION @extschema@.import_ncci_ptp(text, text),
                          @extschema@.import_mue(text, date, date, text) TO patsvc_admin;

-- ---- billing: the payments ledger (bill-ledger) --------------------------------
-- Nobody writes ledger_entries or ledger_locks: postings go through the
-- SECURITY DEFINER functions, which append as the owner.  The front desk
-- collects copays and patient payments and shows balances and statements;
-- the biller posts everything (payer payments, adjustments, transfers,
-- refunds, reversals, charges by hand), reads the ledger and runs the aging
-- report.  Internal helpers stay with the owner.
GRANT EXECUTE ON FUNCTION
  @extschema@.expected_copay(bigint),
  @extschema@.collect_copay(bigint, numeric, text, text),
  @extschema@.post_patient_payment(bigint, numeric, text, text, bigint, text),
  @extschema@.encounter_balance(bigint),
  @extschema@.patient_balance(bigint),
  @extschema@.patient_statement(bigint, date)
  TO patsvc_front_desk, patsvc_biller;
GRANT EXECUTE ON FUNCTION
  @extschema@.post_charges(bigint),
  @extschema@.post_payer_payment(bigint, numeric, text, text, text),
  @extschema@.post_adjustment(bigint, numeric, text, text, text, text),
  @extschema@.transfer_responsibility(bigint, numeric, text, text, text, text),
  @extschema@.post_refund(bigint, numeric, text, text, text),
  @extschema@.reverse_entry(bigint, text),
  @extschema@.ledger_aging(date)
  TO patsvc_biller;
GRANT SELECT ON @extschema@.ledger_entries, @extschema@.ledger_entries_by_encounter TO patsvc_biller;
-- claims (bill-claim): the biller sends claims.  claim_json and claim_837p run
-- with the biller's rights (SECURITY INVOKER): they read the encounters,
-- patients, coverage and providers the biller may read, and in production
-- mode claim_837p locks and updates the encounters' status (the transition
-- trigger checks it); interchange control numbers come from a sequence.
-- claim_providers (the practice's claim identity: no patient data) is kept by
-- the admin and read by the biller; authorization_covers reads no table.
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.claim_providers TO patsvc_admin;
GRANT SELECT ON @extschema@.claim_providers TO patsvc_biller;
GRANT USAGE ON SEQUENCE @extschema@.claim_interchange_control TO patsvc_biller;
GRANT EXECUTE ON FUNCTION @extschema@.authorization_covers(text[], text[]) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.claim_headers(bigint[]),
                          @extschema@.claim_lines(bigint[]),
                          @extschema@.claim_lines_json(bigint),
                          @extschema@.claim_json(bigint),
                          @extschema@.claim_837p(bigint[], text, text, text, text, text, text, text, timestamptz, boolean)
  TO patsvc_biller;
