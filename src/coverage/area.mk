# coverage: payers, patients' coverages (no two of one priority in force on
# one day), eligibility verifications from X12 271 responses or by hand
# (cov-a: 10-*..30-*); referrals and authorizations (cov-b: 50-* onward).
AREAS      += 50:coverage
INIT_AREAS += coverage
