-- Device registry and enrollment (RFC 7030 EST): groups with their
-- enrollment profile, trusted manufacturer CAs (IDevID), devices, the
-- certificates issued to them, one-time enrollment tokens, enrollments
-- waiting for manual approval, and the CRL state.

CREATE TABLE device_groups (
  name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  target_level text NOT NULL DEFAULT 'SLB' CHECK (target_level IN ('SLB', 'SLE', 'SLC')),
  require_channel_binding boolean NOT NULL DEFAULT false,
  manual_approval boolean NOT NULL DEFAULT false,
  certificate_validity_days integer NOT NULL DEFAULT 90 CHECK (certificate_validity_days BETWEEN 1 AND 825),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO device_groups (name) VALUES ('default');

CREATE TABLE manufacturers (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  certificate_pem text NOT NULL,
  fingerprint text NOT NULL UNIQUE,
  auto_claim boolean NOT NULL DEFAULT false,
  default_group text NOT NULL DEFAULT 'default' REFERENCES device_groups (name),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  group_name text NOT NULL REFERENCES device_groups (name),
  state text NOT NULL CHECK (state IN ('claimed', 'enrolled', 'revoked', 'decommissioned')),
  -- IEEE 802.1AR: the serialNumber attribute of the IDevID subject, or the IDevID's SHA-256 fingerprint.
  idevid_serial text UNIQUE,
  idevid_fingerprint text UNIQUE,
  manufacturer_id uuid REFERENCES manufacturers (id),
  -- Supply-chain provenance (ID-3): the IDevID and its chain as presented at enrollment.
  idevid_chain_pem text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_group ON devices (group_name);

CREATE TABLE device_certificates (
  serial text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]+$'),
  device_id text NOT NULL REFERENCES devices (id),
  certificate_pem text NOT NULL,
  subject text NOT NULL,
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL,
  issued_via text NOT NULL CHECK (issued_via IN ('simpleenroll', 'simplereenroll', 'serverkeygen')),
  key_algorithm text NOT NULL,
  revoked_at timestamptz,
  revocation_reason text,
  issued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_certificates_device ON device_certificates (device_id, issued_at);
CREATE INDEX device_certificates_revoked ON device_certificates (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE enrollment_tokens (
  id uuid PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id),
  secret_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX enrollment_tokens_device ON enrollment_tokens (device_id);

-- Manual approval (RFC 7030 §4.2.3: 202 + Retry-After): the request waits
-- here until an operator approves or rejects it; the device retries the same CSR.
CREATE TABLE pending_enrollments (
  id uuid PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id),
  operation text NOT NULL CHECK (operation IN ('simpleenroll', 'simplereenroll')),
  csr_sha256 text NOT NULL,
  csr_der bytea NOT NULL,
  -- The enrollment token that opened this request (the device retries with the same one).
  token_id uuid,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'issued')),
  decided_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  UNIQUE (device_id, csr_sha256)
);

-- One row per issuer: the latest CRL, reissued on every revocation and before nextUpdate.
CREATE TABLE crl_state (
  issuer text PRIMARY KEY,
  crl_number bigint NOT NULL,
  this_update timestamptz NOT NULL,
  next_update timestamptz NOT NULL,
  der bytea NOT NULL
);
