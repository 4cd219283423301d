/**
 * Where evidence changes, so that the devices concerned are re-evaluated
 * within a second instead of at the next full pass:
 * - the device listener: a device acknowledged a policy, delivered
 *   attestation evidence, bound an attestation key, or checked in with
 *   another root of trust than before (services without a listener of
 *   their own; the route table names them here);
 * - the registry: a certificate issued (inside the issuing transaction: a
 *   NOTIFY, delivered at commit) or revoked (after the commit);
 * - the ingest: an inventory or state report stored.
 */
import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../db/index.ts';

/** NOTIFY channel: `{ "replica": …, "devices": [...] }`, sent inside the transaction that changed the evidence. */
export const COMPLIANCE_CHANNEL = 'palisade_compliance';

export interface EvidenceListener {
  evidenceChanged(deviceIds: readonly string[]): void;
}

/** Device API routes after whose success a device's evidence has changed. */
const EVIDENCE_ROUTES = new Set([
  'POST /v1/devices/:id/policies/:kind/status',
  'POST /v1/devices/:id/attestation/evidence',
  'POST /v1/devices/:id/attestation/ak/:keyId/activate',
]);
const CHECK_IN = 'POST /v1/devices/:id/check-in';
/** Roots of trust remembered per replica; past this the memory starts over (every device counts as new once). */
const MAX_REMEMBERED_ROOTS = 500_000;

/**
 * Hooks the device listener; register it before the routes. A check-in is
 * the heartbeat, so it counts only when the root of trust it reports differs
 * from the one this replica last saw for the device.
 */
export function watchDeviceEvidence(app: FastifyInstance, listener: EvidenceListener): void {
  const roots = new Map<string, string>();
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 300 || !request.device) return;
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    const deviceId = request.device.id;
    if (EVIDENCE_ROUTES.has(route)) {
      listener.evidenceChanged([deviceId]);
      return;
    }
    if (route !== CHECK_IN) return;
    const body = request.body as { rootOfTrust?: { kind?: unknown; hardwareBacked?: unknown } } | undefined;
    const root = `${String(body?.rootOfTrust?.kind)}/${String(body?.rootOfTrust?.hardwareBacked)}`;
    if (roots.get(deviceId) === root) return;
    if (roots.size >= MAX_REMEMBERED_ROOTS) roots.clear();
    roots.set(deviceId, root);
    listener.evidenceChanged([deviceId]);
  });
}

/**
 * Inside a transaction: once it commits (never for a rollback), PostgreSQL
 * delivers the notification; the replica that sent it re-evaluates the
 * devices (the others ignore it). It is the only after-commit signal a
 * transaction owned by another context offers.
 */
export async function notifyEvidenceChangeIn(
  tx: Queryable,
  replica: string,
  deviceIds: readonly string[],
): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [
    COMPLIANCE_CHANNEL,
    JSON.stringify({ replica, devices: deviceIds }),
  ]);
}

/** The devices of a notification sent by `replica`; undefined for anything else. */
export function parseEvidenceChange(payload: string, replica: string): string[] | undefined {
  try {
    const value = JSON.parse(payload) as { replica?: unknown; devices?: unknown };
    if (value.replica !== replica || !Array.isArray(value.devices)) return undefined;
    return value.devices.filter((d): d is string => typeof d === 'string');
  } catch {
    return undefined;
  }
}
