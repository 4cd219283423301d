-- Policies (CR-3, CR-4, SC-1, SC-2, PD-1, PD-2, SI-1): signed, immutable,
-- versioned documents; assignments to fleet, group, tag or device; staged
-- rollouts; what each device reports it applied.

-- The panel's policy signing keys (P-256 in the CA key store; ML-DSA-65 for
-- hybrid signatures when the key store is the file store). Agents pin the
-- public keys; the private keys never leave their store.
CREATE TABLE policy_signing_keys (
  key_id text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{64}$'),
  algorithm text NOT NULL CHECK (algorithm IN ('ecdsa-p256-sha256', 'ml-dsa-65')),
  public_key_pem text NOT NULL,
  stored jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policies (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('crypto', 'firewall', 'monitoring', 'attestation', 'siem', 'config')),
  name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (kind, name)
);

-- Every published version, signed, never changed (the envelope is what devices verify).
CREATE TABLE policy_versions (
  policy_id uuid NOT NULL REFERENCES policies (id),
  version integer NOT NULL CHECK (version >= 1),
  envelope jsonb NOT NULL,
  digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  published_by text NOT NULL,
  published_at timestamptz NOT NULL,
  PRIMARY KEY (policy_id, version)
);
CREATE FUNCTION policy_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'published policy versions are immutable; publish a new version';
END;
$$;
CREATE TRIGGER policy_versions_immutable BEFORE UPDATE OR DELETE ON policy_versions
  FOR EACH ROW EXECUTE FUNCTION policy_versions_immutable();

-- scope_value: '' for the fleet, the group name, the tag, or the device ID.
CREATE TABLE policy_assignments (
  kind text NOT NULL,
  scope_type text NOT NULL CHECK (scope_type IN ('fleet', 'group', 'tag', 'device')),
  scope_value text NOT NULL,
  policy_id uuid NOT NULL REFERENCES policies (id),
  assigned_by text NOT NULL,
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (kind, scope_type, scope_value)
);

ALTER TABLE devices ADD COLUMN tags text[] NOT NULL DEFAULT '{}';

-- A rollout moves a policy from one version to the next in phases (percent of
-- the devices the policy applies to); it pauses by itself when the share of
-- failures among the devices of the current phase passes the threshold.
CREATE TABLE policy_rollouts (
  id uuid PRIMARY KEY,
  policy_id uuid NOT NULL REFERENCES policies (id),
  version integer NOT NULL,
  previous_version integer,
  phases integer[] NOT NULL,
  phase integer NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('running', 'paused', 'completed', 'cancelled')),
  failure_threshold real NOT NULL CHECK (failure_threshold > 0 AND failure_threshold <= 1),
  soak_seconds integer NOT NULL CHECK (soak_seconds >= 0),
  phase_started_at timestamptz NOT NULL,
  status_reason text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX policy_rollouts_policy ON policy_rollouts (policy_id, version);

-- What each device last reported for each kind.
CREATE TABLE device_policy_status (
  device_id text NOT NULL REFERENCES devices (id),
  kind text NOT NULL,
  policy_id uuid NOT NULL,
  version integer NOT NULL,
  state text NOT NULL CHECK (state IN ('applied', 'failed', 'rolled_back', 'drifted', 'repaired', 'removed')),
  live_hash text,
  message text,
  reported_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, kind)
);
CREATE INDEX device_policy_status_policy ON device_policy_status (policy_id, version, state);
