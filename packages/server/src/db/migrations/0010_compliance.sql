-- Compliance (every control of docs/requirements.md, per device): the
-- latest results and the level each device achieves, a daily snapshot per
-- group for the trend, the full evaluation passes, and the signed reports
-- handed out.

-- One row per evaluated device: its level, which controls it does not meet
-- (met is every other control of `controls`), and every result with its
-- reason, remedy and evidence references as raw DEFLATE (RFC 1951) of their
-- JSON: a device's 29 results take under 1 KB this way, against some 10 KB as
-- text rows of their own, which is what lets a pass over 100,000 devices
-- write in seconds.
-- evaluated_at moves at every evaluation; changed_at only when a result
-- changed (results_digest is the SHA-256 of their JSON).
CREATE TABLE compliance_devices (
  device_id text PRIMARY KEY REFERENCES devices (id),
  achieved_level text NOT NULL CHECK (achieved_level IN ('none', 'SLB', 'SLE', 'SLC')),
  controls text[] NOT NULL,
  not_met text[] NOT NULL DEFAULT '{}',
  unknown text[] NOT NULL DEFAULT '{}',
  not_applicable text[] NOT NULL DEFAULT '{}',
  results bytea NOT NULL,
  results_digest text NOT NULL CHECK (results_digest ~ '^[0-9a-f]{64}$'),
  evaluated_at timestamptz NOT NULL,
  changed_at timestamptz NOT NULL
);

-- The status of every control of every evaluated device, one row each, for
-- SQL (reports, BI). Reasons, remedies and evidence references are in
-- compliance_devices.results and the API.
CREATE VIEW compliance_status AS
  SELECT c.device_id, x.control,
         CASE WHEN x.control = ANY (c.not_met) THEN 'not_met'
              WHEN x.control = ANY (c.unknown) THEN 'unknown'
              WHEN x.control = ANY (c.not_applicable) THEN 'not_applicable'
              ELSE 'met' END AS status,
         c.evaluated_at
    FROM compliance_devices c CROSS JOIN LATERAL unnest(c.controls) AS x (control);

-- The trend: one row per day and group, written (and rewritten that day) after each full pass.
CREATE TABLE compliance_daily (
  day date NOT NULL,
  group_name text NOT NULL,
  target_level text NOT NULL CHECK (target_level IN ('SLB', 'SLE', 'SLC')),
  devices integer NOT NULL CHECK (devices >= 0),
  -- Devices at or above the target level.
  at_target integer NOT NULL CHECK (at_target >= 0),
  -- {"none": 3, "SLB": 40, …}
  levels jsonb NOT NULL,
  -- {"RT-2": 5, …}: devices for which the control is not_met / unknown.
  not_met jsonb NOT NULL,
  unknown jsonb NOT NULL,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (day, group_name)
);

-- Full evaluation passes. The one running holds the lease (lease_until,
-- renewed page by page); a replica claims a pass under an advisory lock.
CREATE TABLE compliance_passes (
  id uuid PRIMARY KEY,
  owner text NOT NULL,
  started_at timestamptz NOT NULL,
  lease_until timestamptz NOT NULL,
  finished_at timestamptz,
  devices integer,
  changed integer,
  duration_ms integer
);
CREATE INDEX compliance_passes_started ON compliance_passes (started_at);

-- Reports handed out: the exact bytes and their detached CMS signature
-- (RFC 5652), so that the signature can be fetched for the same bytes later.
CREATE TABLE compliance_reports (
  id uuid PRIMARY KEY,
  group_name text NOT NULL,
  format text NOT NULL CHECK (format IN ('json', 'csv', 'html', 'pdf')),
  media_type text NOT NULL,
  content bytea NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  signature bytea NOT NULL,
  devices integer NOT NULL,
  generated_by text NOT NULL,
  generated_at timestamptz NOT NULL
);
CREATE INDEX compliance_reports_generated ON compliance_reports (generated_at);
