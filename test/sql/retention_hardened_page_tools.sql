-- Hardened mode: page- and file-level tools (pg_surgery, adminpack) cannot
-- remove protected rows.  Not installable while records are protected, and
-- not callable when installed before patsvc (which protects its own logs from
-- the install on), whatever name a function calling their library was given.
-- Own database: the order matters.
CREATE DATABASE regress_page_tools;
\c regress_page_tools
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION pg_surgery;
CREATE TABLE scratch (id int);
INSERT INTO scratch VALUES (1), (2);
-- before patsvc the tool works (on an ordinary table)
SELECT heap_force_kill('scratch', ARRAY['(0,1)']::tid[]);
SELECT count(*) AS scratch_rows FROM scratch;
CREATE EXTENSION patsvc;
SET search_path = public, patsvc;
CREATE FUNCTION public.kill_rows(regclass, tid[]) RETURNS void
  AS '$libdir/pg_surgery', 'heap_force_kill' LANGUAGE C STRICT;
CREATE TABLE notes (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL);
INSERT INTO notes VALUES (1, 'MRN-PT-1', '2024-01-01'), (2, 'MRN-PT-2', '2024-01-02');
-- patsvc's logs are protected from the install on: the tool is refused already
SELECT heap_force_kill('scratch', ARRAY['(0,2)']::tid[]);
SELECT protect('notes', 'hipaa_documentation', 'mrn', 'written');
-- now: not on the protected table, not under another name, not on any table
SELECT heap_force_kill('notes', ARRAY['(0,1)']::tid[]);
SELECT heap_force_freeze('notes', ARRAY['(0,2)']::tid[]);
SELECT kill_rows('notes', ARRAY['(0,1)']::tid[]);
SELECT heap_force_kill('scratch', ARRAY['(0,2)']::tid[]);
SELECT count(*) AS notes_rows FROM notes;
-- and not installed afresh
DROP EXTENSION pg_surgery;
CREATE EXTENSION pg_surgery;
CREATE EXTENSION adminpack;
\c contrib_regression
DROP DATABASE regress_page_tools;
