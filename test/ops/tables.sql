-- One line per table of schemas patsvc and public: its row count and an md5 of
-- its rows' text in sorted order; one line per sequence: where it stands.
-- Two databases are the same when these lines are (test/ops/ops_dump_restore.sh).
\pset format unaligned
\pset tuples_only on
SET TimeZone = 'UTC';
SET DateStyle = ISO, YMD;
SET IntervalStyle = postgres;
SET extra_float_digits = 1;
SELECT format('table %s rows=%s md5=%s', c.oid::regclass,
              (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass), false, true, '')))[1],
              (xpath('/row/m/text()', query_to_xml(
                 format('SELECT md5(coalesce(string_agg(r::text, E''\n'' ORDER BY r::text COLLATE "C"), '''')) AS m FROM %s r',
                        c.oid::regclass), false, true, '')))[1])
FROM pg_class c
WHERE c.relnamespace IN ('patsvc'::regnamespace, 'public'::regnamespace) AND c.relkind IN ('r', 'p')
UNION ALL
SELECT format('sequence %s last_value=%s is_called=%s', c.oid::regclass,
              (xpath('/row/v/text()', query_to_xml(format('SELECT last_value AS v FROM %s', c.oid::regclass), false, true, '')))[1],
              (xpath('/row/v/text()', query_to_xml(format('SELECT is_called AS v FROM %s', c.oid::regclass), false, true, '')))[1])
FROM pg_class c
WHERE c.relnamespace IN ('patsvc'::regnamespace, 'public'::regnamespace) AND c.relkind = 'S'
ORDER BY 1;
