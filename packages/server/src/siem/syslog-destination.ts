import { hostname } from 'node:os';
import { formatSyslog5424 } from '@palisade/core';
import type { ExportDestination, ExportEvent } from './export-destination.ts';
import { securityEventOf } from './security-event-of.ts';
import { SiemError } from './siem-error.ts';
import { tcpSyslog, tlsSyslog } from './stream-syslog.ts';
import type { SyslogTransport } from './syslog-transport.ts';
import { udpSyslog } from './udp-syslog.ts';

export interface SyslogExporterConfig {
  readonly transport: 'udp' | 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
  readonly payload: 'cef' | 'json';
  /** RFC 5424 facility; default 13 (log audit). */
  readonly facility?: number;
  readonly caPem?: string;
  readonly servername?: string;
  readonly clientCert?: { readonly certPem: string; readonly keyPem: string };
}

const VERSION = '0.1.0';

/** RFC 5424 messages carrying CEF or JSON, over UDP, TCP (octet counting) or TLS. */
export function syslogDestination(config: SyslogExporterConfig): ExportDestination {
  let transport: SyslogTransport;
  switch (config.transport) {
    case 'udp':
      transport = udpSyslog({ host: config.host, port: config.port });
      break;
    case 'tcp':
      transport = tcpSyslog({ host: config.host, port: config.port });
      break;
    case 'tls':
      if (!config.caPem || !config.servername) {
        throw new SiemError('SIEM_CONFIG_INVALID', 'syslog over TLS needs caPem and servername');
      }
      transport = tlsSyslog({
        host: config.host,
        port: config.port,
        caPem: config.caPem,
        servername: config.servername,
        ...(config.clientCert ? { clientCert: config.clientCert } : {}),
      });
      break;
    default:
      throw new SiemError('SIEM_CONFIG_INVALID', 'syslog transport must be udp, tcp or tls');
  }
  const host =
    hostname()
      .replace(/[^\x21-\x7e]/g, '')
      .slice(0, 255) || '-';
  const format = (event: ExportEvent) =>
    formatSyslog5424(securityEventOf(event), {
      hostname: host,
      appName: 'palisade',
      facility: config.facility ?? 13,
      ...(config.payload === 'cef'
        ? { payload: 'cef', cef: { product: event.source === 'panel' ? 'Panel' : 'Agent', version: VERSION } }
        : { payload: 'json' }),
    });
  return {
    send: (events) => transport.send(events.map(format)),
    close: () => transport.close(),
  };
}
