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
