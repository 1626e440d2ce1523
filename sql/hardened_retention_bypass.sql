-- The bypass matrix of sql/retention_bypass.sql, run again in the cluster
-- with shared_preload_libraries = patsvc (hardened mode): one script, two
-- expected outputs, so every difference between the modes shows in a diff
-- of expected/retention_bypass.out and expected/hardened_retention_bypass.out.
\i sql/retention_bypass.sql
