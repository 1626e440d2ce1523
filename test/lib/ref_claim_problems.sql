-- The claim scrubber's checks written as plain SQL joins, set-based over all
-- encounters (what a skilled DBA would write without patsvc's C scrubber):
-- one row (encounter_id, line, rule) per problem claim_problems reports,
-- line NULL for the encounter as a whole.  Shared by test/sql/billing_scrubber.sql
-- (same problems as claim_problems) and bench/billing_scrubber.sh (the reference).
CREATE TEMP VIEW ref_claim_problems AS
WITH h AS (
  SELECT e.*,
         EXISTS (SELECT FROM patsvc.coverages c WHERE c.id = e.coverage_id AND c.patient_id = e.patient_id
                                               AND c.valid @> e.service_date) AS coverage_ok,
         EXISTS (SELECT FROM patsvc.consents k WHERE k.patient_id = e.patient_id AND k.consent_type = 'treatment'
                   AND k.valid_from <= e.service_date AND (k.valid_until IS NULL OR k.valid_until >= e.service_date)
                   AND (k.revoked_on IS NULL OR k.revoked_on > e.service_date)) AS consent_ok,
         coalesce(r.requires_authorization, false) AS auth_required,
         coalesce(r.requires_referral, false) AS referral_required,
         EXISTS (SELECT FROM patsvc.authorizations au WHERE au.id = e.authorization_id AND au.patient_id = e.patient_id
                                                     AND btrim(au.auth_number) <> '') AS auth_ok,
         (SELECT ir.release FROM patsvc.icd10cm_release ir WHERE ir.effective @> e.service_date) AS icd_release,
         (SELECT hr.release FROM patsvc.hcpcs_release hr WHERE hr.effective @> e.service_date) AS hcpcs_release,
         (SELECT mr.release FROM patsvc.mue_release mr WHERE mr.effective @> e.service_date) AS mue_release
  FROM patsvc.encounters e
  LEFT JOIN patsvc.appointments a ON a.id = e.appointment_id
  LEFT JOIN patsvc.appointment_type_requirements r ON r.type_id = a.type_id
),
dx AS (
  SELECT d.*, h.icd_release, c.billable, c.code IS NOT NULL AS known,
         left(d.code::text, 1) BETWEEN 'V' AND 'Y' AS external,
         d.seq = min(d.seq) OVER (PARTITION BY d.encounter_id) AS first_listed,
         max(d.seq) OVER (PARTITION BY d.encounter_id) AS last_seq,
         EXISTS (SELECT FROM patsvc.encounter_diagnoses o WHERE o.encounter_id = d.encounter_id AND o.seq < d.seq
                                                           AND o.code = d.code) AS repeated
  FROM patsvc.encounter_diagnoses d
  JOIN h ON h.id = d.encounter_id
  LEFT JOIN patsvc.icd10cm_code c ON c.release = h.icd_release AND c.code = d.code
),
ln AS (
  SELECT l.*, h.service_date, h.hcpcs_release, h.mue_release
  FROM patsvc.encounter_lines l JOIN h ON h.id = l.encounter_id
),
ptr AS (
  SELECT l.encounter_id, l.line, p.pointer, p.ord,
         EXISTS (SELECT FROM unnest(l.pointers[1:p.ord - 1]) q WHERE q = p.pointer) AS repeated,
         d.code AS dx_code
  FROM patsvc.encounter_lines l
  CROSS JOIN LATERAL unnest(l.pointers) WITH ORDINALITY AS p(pointer, ord)
  LEFT JOIN patsvc.encounter_diagnoses d ON d.encounter_id = l.encounter_id AND d.seq = p.pointer
),
ptp AS (
  SELECT p.* FROM patsvc.ncci_ptp p
  WHERE p.release = (SELECT r.release FROM patsvc.ncci_ptp_release r ORDER BY r.loaded_at DESC, r.release DESC LIMIT 1)
    AND p.modifier_indicator <> 9
)
-- the encounter
SELECT id AS encounter_id, NULL::int AS line, 'EN001' AS rule FROM h WHERE rendering_npi IS NULL
UNION ALL SELECT id, NULL::int, 'EN002' FROM h WHERE billing_npi IS NULL
UNION ALL SELECT id, NULL::int, 'EN003' FROM h WHERE referral_id IS NOT NULL AND referring_npi IS NULL
UNION ALL SELECT id, NULL::int, 'EN004' FROM h WHERE service_date > current_date
UNION ALL SELECT id, NULL::int, 'EN005' FROM h WHERE place_of_service IS NULL
UNION ALL SELECT id, NULL::int, 'EN006' FROM h WHERE NOT EXISTS (SELECT FROM patsvc.encounter_lines l WHERE l.encounter_id = h.id)
UNION ALL SELECT id, NULL::int, 'CV001' FROM h WHERE coverage_id IS NULL
UNION ALL SELECT id, NULL::int, 'CV002' FROM h WHERE coverage_id IS NOT NULL AND NOT coverage_ok
UNION ALL SELECT id, NULL::int, 'CV003' FROM h WHERE NOT consent_ok
UNION ALL SELECT id, NULL::int, 'AU001' FROM h WHERE auth_required AND NOT auth_ok
UNION ALL SELECT id, NULL::int, 'AU002' FROM h WHERE referral_required AND referral_id IS NULL
-- diagnoses
UNION ALL SELECT id, NULL::int, 'DX001' FROM h WHERE NOT EXISTS (SELECT FROM patsvc.encounter_diagnoses d WHERE d.encounter_id = h.id)
UNION ALL SELECT DISTINCT encounter_id, NULL::int, 'DX004' FROM dx WHERE icd_release IS NULL
UNION ALL SELECT encounter_id, NULL::int, 'DX002' FROM dx WHERE icd_release IS NOT NULL AND known AND NOT billable
UNION ALL SELECT encounter_id, NULL::int, 'DX003' FROM dx WHERE icd_release IS NOT NULL AND NOT known
UNION ALL SELECT encounter_id, NULL::int, 'DX005' FROM dx WHERE repeated
UNION ALL SELECT encounter_id, NULL::int, 'DX006' FROM dx WHERE first_listed AND external
UNION ALL SELECT g.encounter_id, NULL::int, 'DX007'
  FROM (SELECT DISTINCT encounter_id, last_seq FROM dx) g CROSS JOIN LATERAL generate_series(1, g.last_seq - 1) s(seq)
  WHERE NOT EXISTS (SELECT FROM patsvc.encounter_diagnoses d WHERE d.encounter_id = g.encounter_id AND d.seq = s.seq)
UNION ALL SELECT encounter_id, NULL::int, 'DX008' FROM dx
  WHERE NOT EXISTS (SELECT FROM patsvc.encounter_lines l WHERE l.encounter_id = dx.encounter_id AND dx.seq = ANY (l.pointers))
-- pointers
UNION ALL SELECT encounter_id, line, 'PT001' FROM ln WHERE cardinality(pointers) = 0
UNION ALL SELECT encounter_id, line, 'PT002' FROM ln WHERE cardinality(pointers) > 4
UNION ALL SELECT encounter_id, line, 'PT003' FROM ptr WHERE pointer IS NULL OR pointer NOT BETWEEN 1 AND 12
UNION ALL SELECT encounter_id, line, 'PT005' FROM ptr WHERE pointer BETWEEN 1 AND 12 AND repeated
UNION ALL SELECT encounter_id, line, 'PT004' FROM ptr WHERE pointer BETWEEN 1 AND 12 AND NOT repeated AND dx_code IS NULL
UNION ALL SELECT encounter_id, line, 'PT006' FROM ptr
  WHERE ord = 1 AND pointer BETWEEN 1 AND 12 AND left(dx_code::text, 1) BETWEEN 'V' AND 'Y'
-- procedure codes
UNION ALL SELECT encounter_id, min(line), 'PR003' FROM ln WHERE procedure_kind = 'hcpcs' AND hcpcs_release IS NULL GROUP BY encounter_id
UNION ALL SELECT ln.encounter_id, ln.line, CASE WHEN c.code IS NULL THEN 'PR001' ELSE 'PR002' END
  FROM ln LEFT JOIN patsvc.hcpcs_code c ON c.release = ln.hcpcs_release AND c.code::text = ln.code
  WHERE ln.procedure_kind = 'hcpcs' AND ln.hcpcs_release IS NOT NULL
    AND (c.code IS NULL OR c.add_date > ln.service_date OR c.termination_date < ln.service_date)
-- lines
UNION ALL SELECT encounter_id, line, 'LN001' FROM ln WHERE units < 1
UNION ALL SELECT encounter_id, line, 'LN002' FROM ln WHERE charge < 0
UNION ALL SELECT ln.encounter_id, ln.line, 'LN003' FROM ln CROSS JOIN LATERAL unnest(ln.modifiers) WITH ORDINALITY m(modifier, ord)
  WHERE m.modifier = ANY (ln.modifiers[1:m.ord - 1])
UNION ALL SELECT encounter_id, line, 'LN004' FROM ln WHERE procedure_kind = 'hcpcs' AND code LIKE 'J%' AND ndc IS NULL
UNION ALL SELECT encounter_id, line, 'LN005' FROM ln WHERE ndc IS NOT NULL AND NOT (coalesce(drug_quantity > 0, false) AND drug_unit IS NOT NULL)
-- NCCI PTP: each line as column two against every other line as column one
UNION ALL SELECT two.encounter_id, two.line, 'NC001'
  FROM ln two JOIN ln one ON one.encounter_id = two.encounter_id AND one.code <> two.code
  JOIN LATERAL (SELECT min(p.modifier_indicator) AS indicator FROM ptp p
                 WHERE p.column_one = one.code AND p.column_two = two.code
                   AND p.effective <= two.service_date AND (p.deletion IS NULL OR two.service_date < p.deletion)) e
    ON e.indicator IS NOT NULL
  WHERE NOT (e.indicator = 1 AND two.modifiers && '{E1,E2,E3,E4,FA,F1,F2,F3,F4,F5,F6,F7,F8,F9,TA,T1,T2,T3,T4,T5,T6,T7,T8,T9,LT,RT,LC,LD,RC,LM,RI,24,25,57,58,78,79,27,59,91,XE,XS,XP,XU}'::patsvc.code_modifier[])
-- MUE: per line (MAI 1), per date of service across the encounter's lines (MAI 2, 3) on the code's last line
UNION ALL SELECT ln.encounter_id, ln.line, 'MU001' FROM ln JOIN patsvc.mue m ON m.release = ln.mue_release AND m.code = ln.code
  WHERE m.mai = 1 AND ln.units > m.mue_value
UNION ALL SELECT t.encounter_id, t.last_line, 'MU002'
  FROM (SELECT ln.encounter_id, ln.code, ln.mue_release, max(ln.line) AS last_line, sum(ln.units) AS units
          FROM ln GROUP BY ln.encounter_id, ln.code, ln.mue_release) t
  JOIN patsvc.mue m ON m.release = t.mue_release AND m.code = t.code
  WHERE m.mai IN (2, 3) AND t.units > m.mue_value;
