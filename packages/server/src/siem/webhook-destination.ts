import { createHmac } from 'node:crypto';
import { request } from 'node:https';
import type { ExportDestination, ExportEvent } from './export-destination.ts';
import { SiemError } from './siem-error.ts';

export interface WebhookConfig {
  readonly url: string;
  /** The shared key for the signature; at least 32 characters. */
  readonly secret: string;
  /** PEM of the CA the receiver's certificate must chain to; the system store when absent. */
  readonly caPem?: string;
}

export const SIGNATURE_HEADER = 'x-palisade-signature';

/**
 * The signature a receiver checks: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`. The timestamp is inside the MAC, so a receiver that
 * rejects stale timestamps (we suggest 5 minutes) and remembers event IDs
 * is safe from replays.
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** JSON POST of each batch (`{"events": [...]}`), signed; only a 2xx answer counts as taken. */
export function webhookDestination(
  config: WebhookConfig,
  now: () => Date = () => new Date(),
): ExportDestination {
  const url = new URL(config.url);
  if (url.protocol !== 'https:') throw new SiemError('SIEM_CONFIG_INVALID', 'a webhook URL must be https://');
  if (config.secret.length < 32)
    throw new SiemError('SIEM_CONFIG_INVALID', 'a webhook secret needs at least 32 characters');
  return {
    send(events: readonly ExportEvent[]) {
      const body = JSON.stringify({ events });
      const signature = webhookSignature(config.secret, body, Math.floor(now().getTime() / 1000));
      return new Promise((resolve, reject) => {
        const sent = request(
          url,
          {
            method: 'POST',
            ...(config.caPem ? { ca: config.caPem } : {}),
            timeout: 30_000,
            headers: {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(body)),
              [SIGNATURE_HEADER]: signature,
            },
          },
          (response) => {
            response.resume();
            response.on('end', () => {
              const status = response.statusCode ?? 0;
              if (status >= 200 && status < 300) resolve();
              else
                reject(
                  new SiemError('SIEM_DESTINATION_UNREACHABLE', `the webhook answered ${status}`, {
                    details: { host: url.host, status },
                  }),
                );
            });
          },
        );
        sent.on('timeout', () => sent.destroy(new Error('no answer within 30 s')));
        sent.on('error', (error) =>
          reject(
            new SiemError(
              'SIEM_DESTINATION_UNREACHABLE',
              `cannot reach the webhook at ${url.host}: ${error.message}`,
              {
                cause: error,
                details: { host: url.host },
              },
            ),
          ),
        );
        sent.end(body);
      });
    },
    async close() {},
  };
}
