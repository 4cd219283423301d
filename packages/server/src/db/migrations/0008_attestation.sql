-- Remote attestation (RT-2, SB-2, CM-2): TPM manufacturer CAs for EK
-- certificates, per-group attestation profiles and reference values, the
-- attestation keys bound to each device by credential activation, single-use
-- nonces, verdicts with their evidence, and per-device attestation state.

-- CAs whose EK certificates the panel trusts (TCG EK Credential Profile):
-- roots and intermediates of TPM manufacturers; every one is a trust anchor.
CREATE TABLE tpm_manufacturer_cas (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  certificate_pem text NOT NULL,
  fingerprint text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  subject text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL
);

-- A group without a row uses the default profile (PCRs 0-7, hourly, alert).
CREATE TABLE attestation_profiles (
  group_name text PRIMARY KEY REFERENCES device_groups (name),
  pcr_selection integer[] NOT NULL,
  interval_seconds integer NOT NULL CHECK (interval_seconds BETWEEN 1 AND 604800),
  max_age_seconds integer NOT NULL CHECK (max_age_seconds BETWEEN 1 AND 2592000),
  action_on_failure text NOT NULL CHECK (action_on_failure IN ('alert', 'quarantine', 'revoke')),
  ek_certificate text NOT NULL CHECK (ek_certificate IN ('required', 'optional')),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Reference values per group and firmware version ('' = any version).
CREATE TABLE attestation_reference_values (
  group_name text NOT NULL REFERENCES device_groups (name),
  firmware_version text NOT NULL CHECK (length(firmware_version) <= 64),
  document jsonb NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (group_name, firmware_version)
);

-- Attestation keys. `pending` until the device proves, by TPM2_ActivateCredential,
-- that the AK lives in the TPM of the EK; then `active` (one per device),
-- `superseded` by a later binding, `failed` (wrong answer or too late), or
-- `abandoned` (the device started another binding first).
CREATE TABLE attestation_keys (
  id uuid PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id),
  status text NOT NULL CHECK (status IN ('pending', 'active', 'superseded', 'failed', 'abandoned')),
  ek_public bytea NOT NULL,
  -- The EK's TPM Name (nameAlg || H(TPMT_PUBLIC)), hex: what tells one TPM from another.
  ek_name text NOT NULL,
  ek_certificate_der bytea,
  ek_trust text NOT NULL CHECK (ek_trust IN ('certificate', 'uncertified')),
  ek_certificate_subject text,
  ek_certificate_issuer text,
  ak_public bytea NOT NULL,
  ak_name text NOT NULL,
  -- SHA-256 of the credential secret; the secret itself is never stored.
  secret_sha256 bytea,
  challenge_expires_at timestamptz NOT NULL,
  -- The EK differs from the one of the device's previous active key: a TPM swap.
  ek_changed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  activated_at timestamptz,
  ended_at timestamptz
);
CREATE UNIQUE INDEX attestation_keys_one_active ON attestation_keys (device_id) WHERE status = 'active';
CREATE INDEX attestation_keys_device ON attestation_keys (device_id, created_at);

-- Nonces (TPM2_Quote qualifyingData): random, single use, expiring.
CREATE TABLE attestation_nonces (
  nonce bytea PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id),
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX attestation_nonces_device ON attestation_nonces (device_id, issued_at);

CREATE TABLE attestation_verdicts (
  id uuid PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id),
  key_id uuid,
  result text NOT NULL CHECK (result IN ('pass', 'fail')),
  component text CHECK (component IN ('binding', 'quote', 'pcr', 'measured_boot', 'reference')),
  code text,
  message text NOT NULL,
  pcr integer,
  event_index integer,
  event_type text,
  severity smallint NOT NULL CHECK (severity BETWEEN 0 AND 10),
  recoverable boolean NOT NULL,
  -- Checks that could not run (no event log sent, no reference values configured).
  not_run text[] NOT NULL DEFAULT '{}',
  -- Every mismatch beyond the first (PCR values quoted and replayed, event digests), for the operator.
  details jsonb NOT NULL DEFAULT '{}',
  -- What was verified: nonce, quote bytes, PCR values, counters, event-log digest, firmware version.
  evidence jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  CHECK ((result = 'pass') = (code IS NULL))
);
CREATE INDEX attestation_verdicts_device ON attestation_verdicts (device_id, created_at);

-- Per device: the TPM counters of the last verified quote (replay and reboot
-- detection), the time of the last pass, and the measurements of the last
-- verdict whose event log replayed (what "record golden values" learns from).
CREATE TABLE attestation_device_state (
  device_id text PRIMARY KEY REFERENCES devices (id),
  ek_name text,
  clock bigint,
  reset_count bigint,
  restart_count bigint,
  counters_at timestamptz,
  last_verdict_at timestamptz,
  last_pass_at timestamptz,
  measurements jsonb,
  measurements_verdict_id uuid
);
