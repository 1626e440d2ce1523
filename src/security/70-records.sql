-- ---- records (src/records): requests, disclosures, the access log ------------
-- Records staff handle requests (receive, extend, answer: SECURITY DEFINER
-- functions; nobody has INSERT or UPDATE on record_requests) and record
-- disclosures; the privacy officer reads the disclosure log, the access log
-- and the accounting; everyone who opens records logs it (log_access writes
-- as the log's owner; nobody has INSERT or UPDATE on either log).  The privacy
-- officer destroys entries past their 6 years with patsvc.destroy_due(), which needs
-- DELETE on the table; any other DELETE is refused by the logs' guards (PS706).
GRANT SELECT ON @extschema@.record_requests TO patsvc_records, patsvc_privacy_officer;
GRANT SELECT, DELETE ON @extschema@.disclosure_log, @extschema@.access_log TO patsvc_privacy_officer;
GRANT EXECUTE ON FUNCTION
  @extschema@.receive_access_request(bigint, date, text, text, text, text, daterange, text[], text, text, text, numeric),
  @extschema@.receive_amendment_request(bigint, text, date, text, text, text),
  @extschema@.receive_accounting_request(bigint, date, date, text, text, text, numeric),
  @extschema@.accounting_is_free(bigint, date),
  @extschema@.start_record_request(bigint),
  @extschema@.extend_record_request(bigint, date, text, date),
  @extschema@.fulfill_record_request(bigint, date, text, text),
  @extschema@.accept_amendment(bigint, date),
  @extschema@.deny_record_request(bigint, text, boolean, text, date),
  @extschema@.withdraw_record_request(bigint, text, date),
  @extschema@.record_disclosure(bigint, text, text, text, date, text, text, text, bigint)
  TO patsvc_records;
GRANT EXECUTE ON FUNCTION
  @extschema@.record_requests_due(date, interval),
  @extschema@.record_requests_overdue(date),
  @extschema@.disclosures(bigint, date)
  TO patsvc_records, patsvc_privacy_officer;
GRANT EXECUTE ON FUNCTION @extschema@.access_history(bigint, timestamptz) TO patsvc_privacy_officer;
GRANT EXECUTE ON FUNCTION @extschema@.log_access(bigint, text, text), @extschema@.set_app_user(text)
  TO patsvc_front_desk, patsvc_scheduler, patsvc_biller, patsvc_records, patsvc_privacy_officer;
