import type { ExportDestination } from './export-destination.ts';
import type { ExporterDefinition } from './exporter-worker.ts';
import { SiemError } from './siem-error.ts';
import { snmpDestination } from './snmp-destination.ts';
import type { SnmpTrapSenderOptions } from './snmp-trap-sender.ts';
import { type SyslogExporterConfig, syslogDestination } from './syslog-destination.ts';
import { type WebhookConfig, webhookDestination } from './webhook-destination.ts';

/** The destination an exporter's stored settings describe. */
export function exporterDestination(exporter: ExporterDefinition): ExportDestination {
  switch (exporter.kind) {
    case 'webhook':
      return webhookDestination(exporter.config as unknown as WebhookConfig);
    case 'syslog':
      return syslogDestination(exporter.config as unknown as SyslogExporterConfig);
    case 'snmp':
      return snmpDestination(exporter.config as unknown as SnmpTrapSenderOptions);
    default:
      throw new SiemError(
        'SIEM_CONFIG_INVALID',
        `exporter ${exporter.name}: unknown kind ${String(exporter.kind)}`,
      );
  }
}
