import type { Logger } from 'pino';
import {
  type PanelAnswer,
  PanelClient,
  type PanelRequest,
  parseJson,
  refusal,
} from '../channel/panel-client.ts';
import type { ClientIdentity, PanelEndpoint } from '../channel/panel-tls.ts';

/** What the policy client needs of the panel during a session. */
export interface PolicyPanel {
  /** A request over the session's kept-alive mutual-TLS connection. */
  send(request: PanelRequest): Promise<PanelAnswer>;
  /**
   * Proves the panel is reachable under the rules and TLS settings in force
   * now: a request over a NEW connection (a kept-alive one would ride on
   * conntrack's `established` state and prove nothing about new rules).
   * Rejects (PANEL_UNREACHABLE) when no panel answers.
   */
  reach(): Promise<void>;
}

/**
 * The session's link for the policy client: requests over `client`, and
 * reachability probes over a throwaway client with the current identity.
 */
export function panelLink(
  client: PanelClient,
  endpoints: readonly PanelEndpoint[],
  identity: () => ClientIdentity | undefined,
  deviceId: string,
  logger?: Logger,
): PolicyPanel {
  return {
    send: (request) => client.send(request),
    async reach() {
      const fresh = new PanelClient(endpoints, identity(), logger);
      try {
        // Any answer counts: it came over a new connection, through the pinned CA, from the panel.
        await fresh.send({
          method: 'GET',
          path: `/v1/devices/${encodeURIComponent(deviceId)}/desired-state`,
        });
      } finally {
        fresh.close();
      }
    },
  };
}

/** GET `path` and parse its JSON; a non-2xx answer becomes the matching AgentError. */
export async function getJson(panel: PolicyPanel, path: string): Promise<unknown> {
  const answer = await panel.send({ method: 'GET', path });
  if (answer.status < 200 || answer.status > 299) throw refusal(answer, `GET ${path}`);
  return parseJson<unknown>(answer, `GET ${path}`);
}
