-- The bypass matrix of test/sql/retention_bypass.sql, run again in the cluster
-- with shared_preload_libraries = patsvc (hardened mode): one script, two
-- expected outputs, so every difference between the modes shows in a diff
-- of test/expected/retention_bypass.out and test/expected/retention_hardened_bypass.out.
\i test/sql/retention_bypass.sql
