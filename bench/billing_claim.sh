#!/usr/bin/env bash
# Claim output benchmark (run by tools/bench.sh in a throw-away cluster):
# claim_837p of ENCOUNTERS final encounters (default 10,000; 4 diagnoses and
# 3 service lines each, one a drug line with NDC, the patient the
# subscriber, one billing provider), against the reference: the same 837P
# built by one SQL statement a skilled DBA would write over the same tables
# (string_agg of format()ed segments, lines and diagnoses aggregated per
# encounter first; envelopes and counts included).  Each variant is one
# statement, run ROUNDS times alternately; best round of each.  Target:
# >= 5,000 encounters per second.
# bench-cluster-options: -o jit=off
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
N=${ENCOUNTERS:-10000}
ROUNDS=${ROUNDS:-5}

q -v n="$N" <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
INSERT INTO patsvc.claim_providers (npi, entity_type, name, tax_id, taxonomy, address_line1, city, state, zip)
VALUES ('1234567893', 'organization', 'Associates in Medicine', '587654321', '207Q00000X',
        '1313 Las Vegas Boulevard', 'Las Vegas', 'NV', '891090001');
INSERT INTO patsvc.payers (id, name, x12_payer_id, payer_type) VALUES (1, 'R&R Health Plan', 'PLANID12345', 'commercial');
-- the rows are valid claims by construction: loaded without the registration and scrubber triggers
SET session_replication_role = replica;
INSERT INTO patsvc.patients (id, name, family_name, given_name, birth_date, sex, address_line1, city, state, zip)
SELECT i, 'Given' || i || ' Family' || i, 'Family' || i, 'Given' || i, date '1940-01-01' + i % 20000,
       CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END, i || ' Main St', 'Las Vegas', 'NV', '89109'
  FROM generate_series(1, :n) i;
INSERT INTO patsvc.coverages (id, patient_id, payer_id, member_id, group_number, subscriber_relationship, valid, priority)
SELECT i, i, 1, 'MBR' || i, 'GRP01', '18', '[2020-01-01,)', 1 FROM generate_series(1, :n) i;
INSERT INTO patsvc.encounters (id, patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id, status)
SELECT i, i, date '2020-11-02' + i % 20, '1234567893', '1234567893', '11', i, 'final' FROM generate_series(1, :n) i;
INSERT INTO patsvc.encounter_diagnoses (encounter_id, seq, code)
SELECT i, s, (ARRAY['E11.9', 'I10', 'J06.9', 'R05'])[s] FROM generate_series(1, :n) i, generate_series(1, 4) s;
INSERT INTO patsvc.encounter_lines (encounter_id, line, code, procedure_kind, modifiers, pointers, units, charge,
                                    ndc, drug_quantity, drug_unit)
SELECT i, 1, '99213', 'cpt', '{25}'::patsvc.code_modifier[], '{1,2,3,4}'::smallint[], 1, 80.00, NULL, NULL::numeric, NULL FROM generate_series(1, :n) i
UNION ALL SELECT i, 2, 'G0008', 'hcpcs', '{}', '{3}', 1, 25.00, NULL, NULL::numeric, NULL FROM generate_series(1, :n) i
UNION ALL SELECT i, 3, 'J1100', 'hcpcs', '{}', '{1}', 2, 20.50, '00026-0635-12', 2, 'ML' FROM generate_series(1, :n) i;
RESET session_replication_role;
VACUUM ANALYZE;
SQL

cat > "$work/patsvc.sql" <<'PGB'
SELECT length(patsvc.claim_837p(ARRAY(SELECT id FROM patsvc.encounters WHERE status = 'final'), 'SUBMITTER1', 'Associates in Medicine', 'RECEIVER1', 'XYZ Receiver', 'Bud Holly', '8017268899', 'T', '2020-11-25 10:00Z'));
PGB
# the reference: one statement over the same tables
cat > "$work/reference.sql" <<'PGB'
WITH e AS (SELECT id FROM patsvc.encounters WHERE status = 'final'), dx AS (SELECT d.encounter_id, string_agg(CASE WHEN d.seq = 1 THEN 'ABK:' ELSE 'ABF:' END || replace(d.code::text, '.', ''), '*' ORDER BY d.seq) AS hi, array_agg(d.seq ORDER BY d.seq) AS seqs FROM patsvc.encounter_diagnoses d JOIN e ON e.id = d.encounter_id GROUP BY d.encounter_id), ln AS (SELECT l.encounter_id, sum(l.charge) AS total, string_agg(format(E'LX*%s~\nSV1*HC:%s%s*%s*UN*%s***%s~\nDTP*472*D8*%s~\n', l.line, l.code, coalesce(':' || nullif(array_to_string(l.modifiers::text[], ':'), ''), ''), l.charge, l.units, (SELECT string_agg(array_position(dx.seqs, p)::text, ':') FROM unnest(l.pointers) p), to_char(en.service_date, 'YYYYMMDD')) || CASE WHEN l.ndc IS NOT NULL THEN format(E'LIN**N4*%s~\nCTP****%s*%s~\n', replace(l.ndc::text, '-', ''), l.drug_quantity, l.drug_unit) ELSE '' END, '' ORDER BY l.line) AS lines, count(*) * 3 + count(l.ndc) * 2 AS nseg FROM patsvc.encounter_lines l JOIN patsvc.encounters en ON en.id = l.encounter_id JOIN dx ON dx.encounter_id = l.encounter_id GROUP BY l.encounter_id), claims AS (SELECT n, (n - 1) / 5000 + 1 AS st, format(E'HL*%s*1*22*0~\nSBR*P*18*%s******CI~\nNM1*IL*1*%s*%s****MI*%s~\nN3*%s~\nN4*%s*%s*%s~\nDMG*D8*%s*%s~\nNM1*PR*2*%s*****PI*%s~\nCLM*%s*%s***%s:B:1*Y*A*Y*Y~\nHI*%s~\n', 2 + (n - 1) % 5000, group_number, family_name, given_name, member_id, address_line1, city, state, zip, to_char(birth_date, 'YYYYMMDD'), CASE sex WHEN 'male' THEN 'M' WHEN 'female' THEN 'F' ELSE 'U' END, payer, x12_payer_id, id, total, place_of_service, hi) || lines AS text, 9 + nseg AS nseg FROM (SELECT row_number() OVER (ORDER BY en.id) AS n, en.id, en.place_of_service, c.group_number, c.member_id, p.family_name, p.given_name, p.address_line1, p.city, p.state, p.zip, p.birth_date, p.sex, py.name AS payer, py.x12_payer_id, ln.total, ln.lines, ln.nseg, dx.hi FROM e JOIN patsvc.encounters en ON en.id = e.id JOIN patsvc.patients p ON p.id = en.patient_id JOIN patsvc.coverages c ON c.id = en.coverage_id JOIN patsvc.payers py ON py.id = c.payer_id JOIN dx ON dx.encounter_id = en.id JOIN ln ON ln.encounter_id = en.id) x), sts AS (SELECT st, string_agg(text, '' ORDER BY n) AS body, sum(nseg) AS nseg FROM claims GROUP BY st) SELECT length(format(E'ISA*00*          *00*          *ZZ*%-15s*ZZ*%-15s*201125*1000*^*00501*%s*0*T*:~\nGS*HC*%s*%s*20201125*1000*%s*X*005010X222A1~\n', 'SUBMITTER1', 'RECEIVER1', lpad(s.ctl::text, 9, '0'), 'SUBMITTER1', 'RECEIVER1', s.ctl) || (SELECT string_agg(format(E'ST*837*%s*005010X222A1~\nBHT*0019*00*%s%s*20201125*1000*CH~\nNM1*41*2*Associates in Medicine*****46*SUBMITTER1~\nPER*IC*Bud Holly*TE*8017268899~\nNM1*40*2*XYZ Receiver*****46*RECEIVER1~\nHL*1**20*1~\nPRV*BI*PXC*%s~\nNM1*85*2*%s*****XX*%s~\nN3*%s~\nN4*%s*%s*%s~\nREF*EI*%s~\n', lpad(st::text, 4, '0'), lpad(s.ctl::text, 9, '0'), lpad(st::text, 4, '0'), b.taxonomy, b.name, b.npi, b.address_line1, b.city, b.state, b.zip, b.tax_id) || body || format(E'SE*%s*%s~\n', 12 + nseg, lpad(st::text, 4, '0')), '' ORDER BY st) FROM sts) || format(E'GE*%s*%s~\nIEA*1*%s~\n', (SELECT count(*) FROM sts), s.ctl, lpad(s.ctl::text, 9, '0'))) FROM patsvc.claim_providers b, (SELECT nextval('patsvc.claim_interchange_control') AS ctl) s WHERE b.npi::text = '1234567893';
PGB

# the two write the same interchange (one ST per 5,000 claims), control numbers aside
sed 's/SELECT length(format(/SELECT (format(/' "$work/reference.sql" > "$work/reference_text.sql"
mask() { awk -F'*' -v OFS='*' '$1 == "ISA" { $14 = "N" } $1 == "GS" { $7 = "N" } $1 == "BHT" { $4 = substr($4, 10) } $1 == "GE" || $1 == "IEA" { $3 = "N~" } { print }'; }
psql -X -At -c "SELECT patsvc.claim_837p(ARRAY(SELECT id FROM patsvc.encounters WHERE status = 'final'), 'SUBMITTER1', 'Associates in Medicine', 'RECEIVER1', 'XYZ Receiver', 'Bud Holly', '8017268899', 'T', '2020-11-25 10:00Z')" | mask > "$work/patsvc.837"
psql -X -At -f "$work/reference_text.sql" | mask > "$work/reference.837"
if ! cmp -s "$work/patsvc.837" "$work/reference.837"; then
    echo "FAIL the reference does not write what claim_837p writes:"; diff "$work/patsvc.837" "$work/reference.837" | head -20; exit 1
fi
echo "INFO claim_837p and the reference wrote the same $(grep -c . "$work/patsvc.837") segments for $N encounters"

best() { sort -n "$1" | head -1; }
for r in $(seq 1 "$ROUNDS"); do
    for kind in patsvc reference; do
        out=$(pgbench -n -c 1 -t 1 -f "$work/$kind.sql" 2>&1) || { echo "$out"; exit 1; }
        echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' >> "$work/$kind.ms"
    done
done
p=$(best "$work/patsvc.ms"); r=$(best "$work/reference.ms")
rate=$(awk -v n="$N" -v ms="$p" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
echo "RESULT claim_837p of $N encounters: $rate encounters/s (target >= 5000), $(awk -v a="$r" -v b="$p" 'BEGIN { printf "%.2f", a / b }')x the reference string_agg query [claim_837p $p ms, reference $r ms, best of $ROUNDS rounds each, one statement per variant]"
