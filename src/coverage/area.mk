# coverage: payers, coverages, eligibility (cov-a); booking requirements by
# appointment type, referrals and prior authorizations used by bookings (cov-b).
AREAS += 50:coverage
