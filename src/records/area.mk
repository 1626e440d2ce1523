# records: record requests with their clocks (access, amendment, accounting),
# the disclosure log and its accounting, the access log (records_init defines
# patsvc.app_user).
AREAS      += 70:records
INIT_AREAS += records
