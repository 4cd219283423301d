-- What devices tell the panel over their mutual-TLS channel: presence
-- (check-ins, push connections), the reports from their outbox (events,
-- inventory, states), idempotent on (device, record ID), and the latest
-- inventory of each device.

CREATE TABLE device_presence (
  device_id text PRIMARY KEY REFERENCES devices (id),
  last_seen_at timestamptz NOT NULL,
  -- Push channels open now, summed over replicas; each replica adjusts its own share.
  channel_connections integer NOT NULL DEFAULT 0 CHECK (channel_connections >= 0),
  last_connected_at timestamptz,
  last_disconnected_at timestamptz,
  agent_version text,
  root_of_trust text,
  hardware_backed boolean,
  last_address text
);

-- The ingest journal: every record an agent delivered, once. Events are
-- searched and matched by rules from here (the events context builds on it).
CREATE TABLE device_reports (
  device_id text NOT NULL REFERENCES devices (id),
  record_id text NOT NULL CHECK (length(record_id) BETWEEN 1 AND 128),
  kind text NOT NULL,
  severity smallint NOT NULL CHECK (severity BETWEEN 0 AND 10),
  created_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  body jsonb NOT NULL,
  PRIMARY KEY (device_id, record_id)
);
CREATE INDEX device_reports_device_created ON device_reports (device_id, created_at);

CREATE TABLE device_inventory (
  device_id text PRIMARY KEY REFERENCES devices (id),
  record_id text NOT NULL,
  reported_at timestamptz NOT NULL,
  inventory jsonb NOT NULL
);
