-- The end of every billing test: no row left behind.
SET client_min_messages = warning;
SET session_replication_role = replica;
DELETE FROM consents;
DELETE FROM ledger_entries;
RESET session_replication_role;
TRUNCATE encounter_lines, encounter_diagnoses, encounters, fee_schedule, ncci_ptp_release, ncci_ptp, mue_release, mue, authorizations,
         referrals, coverages, payers, appointment_type_requirements, appointments, appointment_resources,
         availability, appointment_types, patients, providers, locations RESTART IDENTITY CASCADE;
DELETE FROM places_of_service WHERE NOT shipped;
DELETE FROM hcpcs_release;
DELETE FROM icd10cm_release;
RESET client_min_messages;
