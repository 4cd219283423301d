-- SIEM exporters (SI-4) with a durable outbox each: an event is queued for
-- every enabled exporter in the transaction that stores it, and leaves the
-- queue only after the exporter's destination took it. One replica at a time
-- holds an exporter's lease, so each queue drains in order, once.

CREATE TABLE siem_exporters (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  kind text NOT NULL CHECK (kind IN ('syslog', 'snmp', 'webhook')),
  -- Destination settings; secrets in it (webhook key, SNMPv3 keys) are never returned by the API.
  config jsonb NOT NULL,
  min_severity smallint NOT NULL DEFAULT 0 CHECK (min_severity BETWEEN 0 AND 10),
  -- Events older than this in the queue are dropped (and counted): the bound on an outage.
  retention_seconds integer NOT NULL DEFAULT 604800 CHECK (retention_seconds > 0),
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE siem_exporter_state (
  exporter_id uuid PRIMARY KEY REFERENCES siem_exporters (id) ON DELETE CASCADE,
  lease_owner text,
  lease_until timestamptz,
  delivered bigint NOT NULL DEFAULT 0,
  dropped bigint NOT NULL DEFAULT 0,
  last_delivered_at timestamptz,
  last_error text,
  last_error_at timestamptz
);

CREATE TABLE siem_outbox (
  exporter_id uuid NOT NULL REFERENCES siem_exporters (id) ON DELETE CASCADE,
  seq bigserial,
  event jsonb NOT NULL,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exporter_id, seq)
);
