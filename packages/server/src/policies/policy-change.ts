import type { Queryable } from '../db/index.ts';

/** NOTIFY channel: assignments, versions or rollouts changed; every replica drops its delivery snapshot. */
export const POLICIES_CHANNEL = 'palisade_policies';

/** Inside the changing transaction, so replicas hear of it at commit and never of a rollback. */
export async function notifyPolicyChange(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [POLICIES_CHANNEL, '']);
}
