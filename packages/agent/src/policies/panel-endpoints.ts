import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { PanelEndpoint, PanelReachability } from '@palisade/core';
import { AgentError } from '../agent-error.ts';

/** Every address of a host name, both families (what getaddrinfo, and so the panel client, would use). */
export type AddressLookup = (hostname: string) => Promise<readonly string[]>;

const lookupAll: AddressLookup = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * The addresses and ports the firewall must always let the agent reach: each
 * configured panel URL's host resolved now (all addresses, so a fail-over to
 * another A/AAAA record still works), with its port. Resolved at each apply
 * because the renderer needs addresses; a name that does not resolve fails
 * the apply (PANEL_UNREACHABLE) rather than render rules without the panel.
 */
export async function resolvePanelEndpoints(
  urls: readonly URL[],
  resolve: AddressLookup = lookupAll,
): Promise<PanelReachability> {
  const endpoints: PanelEndpoint[] = [];
  let usesDnsName = false;
  for (const url of urls) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    let addresses: readonly string[];
    if (isIP(host) !== 0) addresses = [host];
    else {
      usesDnsName = true;
      try {
        addresses = await resolve(host);
      } catch (error) {
        throw new AgentError('PANEL_UNREACHABLE', `cannot resolve the panel host ${host}`, { cause: error });
      }
      if (addresses.length === 0)
        throw new AgentError('PANEL_UNREACHABLE', `the panel host ${host} has no address`);
    }
    for (const address of addresses) {
      if (!endpoints.some((e) => e.address === address && e.port === port)) endpoints.push({ address, port });
    }
  }
  return { endpoints, usesDnsName };
}
