-- Consent gate (registration): an appointment type can require consent to
-- treat in force on the visit's date before the visit is arrived or
-- checked-in, or goes straight to fulfilled (PS401).  The visit's date is the
-- local date of starts_at in its location's time zone (the session's when the
-- appointment has no location, as overbooks may).  Consents are the
-- registry's (src/registry/50-consent.sql); this file runs after scheduling's
-- tables exist.  The gate itself is C in appointments_enforce
-- (src/scheduling/checkin.c, asking the registry's consent.c): a trigger of
-- its own cost every booking its WHEN, prepared again for each INSERT.

ALTER TABLE @extschema@.appointment_types ADD COLUMN requires_consent_to_treat boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN @extschema@.appointment_types.requires_consent_to_treat IS
  'visits of this type become arrived, checked-in or fulfilled only with consent to treat in force on the visit''s local date (checked by trigger appointments_enforce, PS401)';
