# registry: patients (demographics, medical record numbers, duplicates),
# providers, locations and the time-zone check: the master data every later
# area refers to (patients.id is the patient key).
AREAS      += 20:registry
INIT_AREAS += registry
