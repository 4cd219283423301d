import type { ExportDestination } from './export-destination.ts';
import { securityEventOf } from './security-event-of.ts';
import { type SnmpTrapSenderOptions, snmpTrapSender } from './snmp-trap-sender.ts';

/** One SNMP notification per event (informs by default: acknowledged, retried), in order. */
export function snmpDestination(config: SnmpTrapSenderOptions): ExportDestination {
  const sender = snmpTrapSender(config);
  return {
    async send(events) {
      for (const event of events) {
        const security = securityEventOf(event);
        await sender.send({ ...security, controls: [...security.controls] });
      }
    },
    close: () => sender.close(),
  };
}
