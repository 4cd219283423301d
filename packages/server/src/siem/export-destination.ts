/** An event as exporters see it: what the panel stored, in the shape the SIEM formats need. */
export interface ExportEvent {
  readonly id: string;
  readonly source: 'device' | 'panel';
  readonly deviceId: string | null;
  readonly type: string;
  readonly severity: number;
  readonly occurredAt: string;
  readonly receivedAt: string;
  readonly body: unknown;
}

/**
 * Where an exporter sends: syslog, SNMP, a webhook. `send` resolves only
 * when the destination took every event of the batch (as far as its
 * protocol can say); the exporter removes them from its queue only then.
 */
export interface ExportDestination {
  send(events: readonly ExportEvent[]): Promise<void>;
  close(): Promise<void>;
}
