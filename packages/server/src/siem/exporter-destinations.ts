import type { ExportDestination } from './export-destination.ts';
import type { ExporterDefinition } from './exporter-worker.ts';
import { SiemError } from './siem-error.ts';
import { type WebhookConfig, webhookDestination } from './webhook-destination.ts';

/** The destination an exporter's stored settings describe. */
export function exporterDestination(exporter: ExporterDefinition): ExportDestination {
  switch (exporter.kind) {
    case 'webhook':
      return webhookDestination(exporter.config as unknown as WebhookConfig);
    default:
      throw new SiemError(
        'SIEM_CONFIG_INVALID',
        `exporter ${exporter.name}: ${exporter.kind} export is not wired yet`,
      );
  }
}
