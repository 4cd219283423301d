-- Security events (PD-3, SI-1): one stream for what devices report and what
-- the panel itself sees, partitioned by day of the source's timestamp so that
-- retention drops whole partitions and searches by time touch only a few.
--
-- Idempotency is per source: (ingest_key, id) where ingest_key is the device
-- that delivered the event ('' for the panel's own events). PostgreSQL needs
-- the partition key in every unique constraint, so occurred_at is part of the
-- primary key; a redelivered event carries the same source timestamp, so it
-- lands in the same partition and conflicts there.
CREATE TABLE security_events (
  ingest_key text NOT NULL,
  id text NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
  source text NOT NULL CHECK (source IN ('device', 'panel')),
  device_id text,
  type text NOT NULL,
  severity smallint NOT NULL CHECK (severity BETWEEN 0 AND 10),
  controls text[] NOT NULL DEFAULT '{}',
  message text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  fields jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (ingest_key, id, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- Whatever falls outside the daily partitions (a device clock far in the
-- past, a day the maintenance job has not created yet) lands here; the
-- maintenance job moves rows out when it creates their day's partition.
CREATE TABLE security_events_default PARTITION OF security_events DEFAULT;

CREATE INDEX security_events_time ON security_events (occurred_at, ingest_key, id);
CREATE INDEX security_events_device ON security_events (device_id, occurred_at);
CREATE INDEX security_events_type ON security_events (type, occurred_at);
CREATE INDEX security_events_severity ON security_events (severity, occurred_at);

-- Events reported before this table existed move over (their body becomes message and fields).
INSERT INTO security_events (ingest_key, id, source, device_id, type, severity, message, occurred_at, received_at, fields)
SELECT device_id, record_id, 'device', device_id, kind, severity,
       COALESCE(body ->> 'message', kind), created_at, received_at,
       CASE WHEN jsonb_typeof(body) = 'object' THEN body - 'message' ELSE '{}'::jsonb END
  FROM device_reports WHERE kind NOT IN ('inventory', 'state');
DELETE FROM device_reports WHERE kind NOT IN ('inventory', 'state');

-- Detection rules (SI-2, SI-3): every saved version kept, the current one marked.
CREATE TABLE detection_rules (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  version integer NOT NULL CHECK (version >= 1),
  document jsonb NOT NULL,
  enabled boolean NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE detection_rule_versions (
  id text NOT NULL,
  version integer NOT NULL,
  document jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (id, version)
);

-- Events waiting for the detection worker, queued in the transaction that
-- stores them (only while at least one rule is enabled). The worker removes
-- exactly the rows it evaluated, in the transaction that records the alerts.
CREATE TABLE detection_queue (
  seq bigserial PRIMARY KEY,
  event jsonb NOT NULL,
  group_name text,
  enqueued_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
  id uuid PRIMARY KEY,
  rule_id text NOT NULL,
  rule_version integer NOT NULL,
  title text NOT NULL,
  severity smallint NOT NULL CHECK (severity BETWEEN 0 AND 10),
  controls text[] NOT NULL DEFAULT '{}',
  -- `device:<id>`, `group:<name>` or `fleet`: what the rule counted over.
  subject text NOT NULL,
  device_id text,
  group_name text,
  status text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  -- The triggering events as (ingest_key, id, occurred_at) references.
  events jsonb NOT NULL,
  -- The device's context when the alert was raised: group, target level, presence, recent changes.
  context jsonb NOT NULL,
  first_event_at timestamptz NOT NULL,
  last_event_at timestamptz NOT NULL,
  raised_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at timestamptz,
  resolved_by text,
  note text
);
CREATE INDEX alerts_status ON alerts (status, raised_at);
CREATE INDEX alerts_device ON alerts (device_id, raised_at);

-- Work that runs on one replica at a time (the detection worker), by lease.
CREATE TABLE worker_leases (
  name text PRIMARY KEY,
  owner text NOT NULL,
  until timestamptz NOT NULL
);

-- A rule's `quarantine` action (and later attestation) sets this: the device
-- stays connected but receives no updates or secrets, and is flagged everywhere.
ALTER TABLE devices ADD COLUMN quarantined_at timestamptz;
ALTER TABLE devices ADD COLUMN quarantine_reason text;

-- Alerts show a device's recent audited changes: looked up by target.
CREATE INDEX audit_log_target ON audit_log (target, seq);
