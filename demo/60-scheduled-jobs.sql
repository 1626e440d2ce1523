\echo
\echo '=== 6. Night shift: jobs pg_cron runs for the clinic, and ids for a second site ==='
SET search_path = public, patsvc;
-- pg_cron is preloaded in this cluster (shared_preload_libraries, cron.database_name)
CREATE EXTENSION IF NOT EXISTS pg_cron;
-- Every night: destroy what is due in every protected table; each certificate says who authorized the job
SELECT cron.schedule('patsvc-nightly-destruction', '30 2 * * *', $$
  SELECT * FROM patsvc.destroy_due_all(
    authorized_by => 'pg_cron job patsvc-nightly-destruction (approved by the HIM manager)',
    method => 'deleted by pg_cron; VACUUM follows')
$$) > 0 AS scheduled;
-- Every minute: claim due reminders into a queue that the SMS/e-mail sender reads
CREATE TABLE demo_reminder_queue (
  reminder bigint PRIMARY KEY, appointment bigint NOT NULL, channel text NOT NULL,
  due_at timestamptz NOT NULL, starts_at timestamptz NOT NULL,
  queued_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz);
SELECT cron.schedule('patsvc-claim-reminders', '* * * * *', $$
  INSERT INTO demo_reminder_queue (reminder, appointment, channel, due_at, starts_at)
  SELECT * FROM patsvc.claim_due_reminders(now(), 1000)
$$) > 0 AS scheduled;
SELECT jobname, schedule FROM cron.job ORDER BY jobname;
-- What each run did: cron.job_run_details (empty until the first minute has passed)
SELECT count(*) AS runs_so_far FROM cron.job_run_details;
-- The job refuses to run without saying who authorized it
SELECT * FROM destroy_due_all(NULL, 'deleted');
SELECT cron.unschedule('patsvc-nightly-destruction'), cron.unschedule('patsvc-claim-reminders');

-- A second site subscribes to this clinic (logical replication) and books its own providers:
-- every node that writes takes ids from its own range, so replicated rows never collide
SELECT sequence_name, next_value FROM set_identity_range(1, 1000000000000000)
 WHERE sequence_name::text IN ('appointments_id_seq', 'patients_id_seq');
