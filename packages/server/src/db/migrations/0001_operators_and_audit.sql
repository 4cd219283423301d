-- Operators, their sessions and API tokens, login throttling, and the
-- hash-chained audit log. Secrets are stored only as SHA-256 (tokens) or
-- scrypt (passwords) digests.

CREATE TABLE operators (
  id uuid PRIMARY KEY,
  username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  role text NOT NULL CHECK (role IN ('viewer', 'auditor', 'operator', 'admin')),
  password_hash text NOT NULL,
  must_change_password boolean NOT NULL DEFAULT false,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operator_sessions (
  id uuid PRIMARY KEY,
  operator_id uuid NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
  secret_hash bytea NOT NULL,
  csrf_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  source text
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  operator_id uuid NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('viewer', 'auditor', 'operator', 'admin')),
  secret_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_tokens_operator ON api_tokens (operator_id);

-- Keyed by the attempted user name (lower-cased), whether or not it exists,
-- so that lockout neither reveals which accounts exist nor depends on a
-- replica's memory.
CREATE TABLE login_throttle (
  subject text PRIMARY KEY,
  failures integer NOT NULL,
  locked_until timestamptz,
  last_failure_at timestamptz NOT NULL
);

CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  source text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- The audit log is append-only for the application: an UPDATE or DELETE is
-- refused by the database itself. Someone with rights to disable this trigger
-- can still tamper, and the hash chain is what exposes that.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- CA certificates and their encrypted private keys (PKCS#8, PBES2), shared by
-- every replica through the database.
CREATE TABLE ca_material (
  name text PRIMARY KEY,
  certificate_pem text NOT NULL,
  encrypted_key_pem text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
