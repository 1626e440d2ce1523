# billing: encounters (the superbill), the claim scrubber, NCCI PTP and MUE
# edits.  Uses codes (code types, code sets), registry (patients, providers,
# consent), scheduling (appointments) and coverage.
AREAS += 60:billing
