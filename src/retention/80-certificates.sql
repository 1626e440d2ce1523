-- ---- certificates of destruction ------------------------------------------
-- The random per-record tokens of a certificate (its token set), kept beside it in chunks of
-- 500, each row small enough to stay in its heap page: the certificate itself stays small,
-- and its hash covers the tokens' sha256.
CREATE SEQUENCE @extschema@.destruction_token_sets_seq;
REVOKE ALL ON SEQUENCE @extschema@.destruction_token_sets_seq FROM PUBLIC;
COMMENT ON SEQUENCE @extschema@.destruction_token_sets_seq IS 'token set numbers';
CREATE TABLE @extschema@.destruction_tokens (
  token_set     bigint NOT NULL,
  chunk         integer NOT NULL CHECK (chunk >= 0),
  record_tokens uuid[] NOT NULL,
  PRIMARY KEY (token_set, chunk)
);
-- Random tokens do not compress, and a chunk fits in a page: no TOAST.
ALTER TABLE @extschema@.destruction_tokens ALTER COLUMN record_tokens SET STORAGE PLAIN;
REVOKE ALL ON @extschema@.destruction_tokens FROM PUBLIC;
COMMENT ON TABLE @extschema@.destruction_tokens IS
  'the per-record tokens of each certificate of destruction (its token set, in numbered chunks), kept permanently, append-only';
COMMENT ON COLUMN @extschema@.destruction_tokens.chunk IS 'position of this chunk in the token set (tokens in chunk order, then array order)';
COMMENT ON COLUMN @extschema@.destruction_tokens.record_tokens IS
  'up to 500 random tokens (version-4 UUIDs from the strong random source), one per destroyed record: derived from nothing about the patient (45 CFR 164.514(c))';

-- All the tokens of a token set, in order.
CREATE FUNCTION @extschema@.certificate_tokens(token_set bigint) RETURNS uuid[]
  LANGUAGE sql STABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT pg_catalog.array_agg(u.token ORDER BY k.chunk, u.n)
          FROM @extschema@.destruction_tokens k, pg_catalog.unnest(k.record_tokens) WITH ORDINALITY u(token, n)
         WHERE k.token_set = $1 $$;
REVOKE ALL ON FUNCTION @extschema@.certificate_tokens(bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.certificate_tokens(bigint) IS
  'the random per-record tokens of a certificate''s token set, in order (NULL when the set has none)';
CREATE FUNCTION @extschema@.token_set_digest(token_set bigint, OUT tokens bigint, OUT tokens_sha256 text)
  AS 'MODULE_PATHNAME', 'patsvc_token_set_digest' LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION @extschema@.token_set_digest(bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.token_set_digest(bigint) IS
  'the number of tokens of a token set and their sha256 (hex), read chunk by chunk: tokens_digest(certificate_tokens(token_set)) without building the array (used by verify_certificates)';

CREATE TABLE @extschema@.destruction_certificates (
  certificate_id  bigint PRIMARY KEY,
  destroyed_at    timestamptz NOT NULL,
  table_name      text NOT NULL,
  record_class    text NOT NULL,
  policy_name     text NOT NULL,
  policy_mode     text NOT NULL,
  record_count    bigint NOT NULL CHECK (record_count > 0),
  records_from_year integer,
  records_to_year integer,
  method          text NOT NULL CHECK (btrim(method) <> ''),
  authorized_by   text NOT NULL CHECK (btrim(authorized_by) <> ''),
  witness         text,
  executed_by     text NOT NULL,
  statement       text NOT NULL,
  early_reason    text,
  archive_table   text,
  archive_sha256  text,
  token_set       bigint NOT NULL UNIQUE,
  tokens_sha256   text NOT NULL,
  previous_hash   text NOT NULL,
  certificate_hash text NOT NULL
);
CREATE SEQUENCE @extschema@.destruction_certificates_seq;
REVOKE ALL ON @extschema@.destruction_certificates FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.destruction_certificates_seq FROM PUBLIC;
COMMENT ON TABLE @extschema@.destruction_certificates IS
  'certificates of destruction, kept permanently, append-only, hash-chained; no PHI: counts, year ranges, random per-record tokens';
COMMENT ON SEQUENCE @extschema@.destruction_certificates_seq IS 'certificate numbers, drawn in chain order';
COMMENT ON COLUMN @extschema@.destruction_certificates.records_from_year IS
  'year of the earliest anchor date among the destroyed records (coarse on purpose: exact dates identify)';
COMMENT ON COLUMN @extschema@.destruction_certificates.token_set IS
  'the certificate''s random per-record tokens, one per destroyed record: patsvc.destruction_tokens.token_set (patsvc.certificate_tokens())';
COMMENT ON COLUMN @extschema@.destruction_certificates.tokens_sha256 IS
  'sha256 (hex) of the 16-byte values of the certificate''s tokens, in order (patsvc.tokens_digest); the certificate hash covers it';
COMMENT ON COLUMN @extschema@.destruction_certificates.archive_sha256 IS
  'when the table has an archive (patsvc.set_archive): sha256 over the per-batch sha256s (hex, concatenated) of the archived rows'' text, each batch''s rows sorted and joined by newlines';
COMMENT ON COLUMN @extschema@.destruction_certificates.previous_hash IS 'certificate_hash of the previous certificate (64 zeros for the first)';
COMMENT ON COLUMN @extschema@.destruction_certificates.certificate_hash IS
  'sha256 of previous_hash || the canonical text of this certificate (patsvc.certificate_text)';

CREATE FUNCTION @extschema@.tokens_digest(uuid[]) RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_tokens_digest' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tokens_digest(uuid[]) IS
  'sha256 (hex) of the 16-byte values of the tokens, in order: how a certificate''s hash covers its tokens';

CREATE FUNCTION @extschema@.certificate_text(c @extschema@.destruction_certificates) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.concat_ws('|', c.certificate_id,
                 pg_catalog.to_char(c.destroyed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                 c.table_name, c.record_class, c.policy_name, c.policy_mode, c.record_count,
                 coalesce(c.records_from_year::text, ''), coalesce(c.records_to_year::text, ''),
                 c.method, c.authorized_by, coalesce(c.witness, ''), c.executed_by, c.statement,
                 coalesce(c.early_reason, ''), coalesce(c.archive_table, ''), coalesce(c.archive_sha256, ''),
                 c.token_set, c.tokens_sha256) $$;
COMMENT ON FUNCTION @extschema@.certificate_text(@extschema@.destruction_certificates) IS
  'canonical text of a certificate, the input of its hash (fixed field order, UTC timestamps, the tokens by their set and sha256; their count is the record count)';

CREATE FUNCTION @extschema@.certificate_hash(previous_hash text, c @extschema@.destruction_certificates) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to($1 || @extschema@.certificate_text($2), 'UTF8')), 'hex') $$;
COMMENT ON FUNCTION @extschema@.certificate_hash(text, @extschema@.destruction_certificates) IS
  'sha256 (hex) of the previous hash followed by the canonical text of the certificate';

-- Chains a new certificate: numbers and hashes it under a lock so chain order is number order.
CREATE FUNCTION @extschema@._certificate_chain() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  last @extschema@.destruction_certificates;
BEGIN
  LOCK TABLE @extschema@.destruction_certificates IN SHARE ROW EXCLUSIVE MODE;
  SELECT * INTO last FROM @extschema@.destruction_certificates c ORDER BY c.certificate_id DESC LIMIT 1;
  -- A certificate that arrives already chained onto the last one (a restore of a
  -- dump: rows in chain order) is kept as it is: number, hashes and all.
  IF NEW.certificate_id > coalesce(last.certificate_id, 0)
     AND NEW.previous_hash = coalesce(last.certificate_hash, repeat('0', 64))
     AND NEW.certificate_hash = @extschema@.certificate_hash(NEW.previous_hash, NEW) THEN
    IF NEW.certificate_id > (SELECT s.last_value FROM @extschema@.destruction_certificates_seq s) THEN
      PERFORM setval('@extschema@.destruction_certificates_seq', NEW.certificate_id);
    END IF;
    RETURN NEW;
  END IF;
  NEW.certificate_id := nextval('@extschema@.destruction_certificates_seq');
  NEW.previous_hash := coalesce(last.certificate_hash, repeat('0', 64));
  NEW.certificate_hash := @extschema@.certificate_hash(NEW.previous_hash, NEW);
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@._certificate_chain() IS
  'trigger: numbers a new certificate and links it into the hash chain; a row already chained onto the last certificate (a restored one) is kept as it is';
CREATE TRIGGER patsvc_certificate_chain BEFORE INSERT ON @extschema@.destruction_certificates
  FOR EACH ROW EXECUTE FUNCTION @extschema@._certificate_chain();
ALTER TABLE @extschema@.destruction_certificates ENABLE ALWAYS TRIGGER patsvc_certificate_chain;
COMMENT ON TRIGGER patsvc_certificate_chain ON @extschema@.destruction_certificates IS 'hash chain';

-- The record of a destruction in the event log (event 'records destroyed'), written with its
-- certificate by patsvc._certify(): it names the certificate by number, count and hash.
CREATE FUNCTION @extschema@._destruction_record(c @extschema@.destruction_certificates) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.format('certificate %s: %s records destroyed, certificate hash %s',
                                 c.certificate_id, c.record_count, c.certificate_hash) $$;
COMMENT ON FUNCTION @extschema@._destruction_record(@extschema@.destruction_certificates) IS
  'the detail of the ''records destroyed'' event patsvc writes with each certificate (number, record count, certificate hash), which verify_certificates() looks for (internal)';

CREATE FUNCTION @extschema@.verify_certificates(OUT certificate_id bigint, OUT ok boolean, OUT problem text)
  RETURNS SETOF record LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT v.certificate_id, v.problem IS NULL, v.problem
          FROM (SELECT c.certificate_id,
                       CASE WHEN c.previous_hash <> coalesce(lag(c.certificate_hash) OVER w, repeat('0', 64))
                              THEN 'previous_hash does not match the certificate before it (one was removed or reordered)'
                            WHEN c.certificate_hash <> @extschema@.certificate_hash(c.previous_hash, c)
                              THEN 'certificate_hash does not match its content (it was altered)'
                            WHEN k.tokens <> c.record_count OR k.tokens_sha256 <> c.tokens_sha256
                              THEN 'the record tokens do not match the certificate (they were altered or removed)'
                            WHEN r.n IS NULL
                              THEN 'no destruction is recorded for it in patsvc.retention_events (patsvc did not issue it, or it was rewritten)'
                            WHEN r.n > 1
                              THEN 'its destruction is recorded more than once in patsvc.retention_events' END AS problem
                  FROM @extschema@.destruction_certificates c
                  LEFT JOIN LATERAL @extschema@.token_set_digest(c.token_set) k ON true
                  LEFT JOIN (SELECT e.table_name, e.detail, count(*) AS n FROM @extschema@.retention_events e
                              WHERE e.event IN ('records destroyed', 'certificate carried over')
                              GROUP BY e.table_name, e.detail) r
                         ON r.table_name = c.table_name AND r.detail = @extschema@._destruction_record(c)
                WINDOW w AS (ORDER BY c.certificate_id)
                UNION ALL
                -- a destruction recorded without its certificate: the certificate was removed
                SELECT d.id, 'the certificate is missing: patsvc.retention_events records its destruction'
                  FROM (SELECT substring(e.detail FROM '^certificate ([0-9]+):')::bigint AS id
                          FROM @extschema@.retention_events e
                         WHERE e.event IN ('records destroyed', 'certificate carried over')) d
                 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.destruction_certificates c WHERE c.certificate_id = d.id)) v
         ORDER BY v.certificate_id, v.problem $$;
COMMENT ON FUNCTION @extschema@.verify_certificates() IS
  'recomputes the certificate hash chain and the sha256 of each certificate''s tokens, and matches each certificate with the record of its destruction in the event log: one row per certificate (and per destruction whose certificate is missing), ok = false with the problem where one was altered, removed, reordered or not issued by patsvc';
SELECT @extschema@._seal_ledger(t, why) FROM (VALUES
  ('@extschema@.destruction_certificates'::regclass, 'certificates are kept permanently'),
  ('@extschema@.destruction_tokens'::regclass, 'the tokens of certificates are kept permanently')) AS l(t, why);

CREATE FUNCTION @extschema@.random_tokens(n integer) RETURNS uuid[]
  AS 'MODULE_PATHNAME', 'patsvc_random_tokens' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.random_tokens(integer) IS
  'n random version-4 UUIDs: the per-record tokens of a certificate, derived from nothing about the records';
CREATE FUNCTION @extschema@._token_chunks(OUT chunk integer, OUT tokens uuid[]) RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'patsvc_token_chunks' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@._token_chunks() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._token_chunks() IS
  'the chunks of random tokens patsvc._store_tokens() is drawing; refused outside it (internal)';
CREATE FUNCTION @extschema@._store_tokens(n integer, OUT token_set bigint, OUT tokens_sha256 text)
  AS 'MODULE_PATHNAME', 'patsvc_store_tokens' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@._store_tokens(integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._store_tokens(integer) IS
  'draws n random tokens, stores them as a new token set in patsvc.destruction_tokens (chunks of 500) and returns its id and their sha256; refused outside patsvc.destroy_due() (internal)';
CREATE FUNCTION @extschema@._certify(tbl regclass, record_class text, policy_name text, policy_mode text,
                                     records_from_year integer, records_to_year integer, method text,
                                     authorized_by text, witness text, statement text, early_reason text,
                                     archive_table text, archive_sha256 text) RETURNS bigint
  AS 'MODULE_PATHNAME', 'patsvc_certify' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@._certify(regclass, text, text, text, integer, integer, text, text, text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._certify(regclass, text, text, text, integer, integer, text, text, text, text, text, text, text) IS
  'issues the certificate of the destruction running in this session (for the token set it stored, their number as the record count) and records the destruction in patsvc.retention_events; once per run, refused outside patsvc.destroy_due() (internal)';
