import type { Db } from '../db/index.ts';

export interface CheckIn {
  readonly agentVersion: string;
  readonly rootOfTrust: string;
  readonly hardwareBacked: boolean;
  readonly address: string;
}

export interface PresenceView {
  readonly deviceId: string;
  readonly online: boolean;
  readonly lastSeenAt: string | null;
  readonly channelConnections: number;
  readonly lastConnectedAt: string | null;
  readonly lastDisconnectedAt: string | null;
  readonly agentVersion: string | null;
  readonly rootOfTrust: string | null;
  readonly hardwareBacked: boolean | null;
}

interface PresenceRow {
  device_id: string;
  last_seen_at: Date;
  channel_connections: number;
  last_connected_at: Date | null;
  last_disconnected_at: Date | null;
  agent_version: string | null;
  root_of_trust: string | null;
  hardware_backed: boolean | null;
}

/**
 * Online / offline and last-seen per device. A device is online when it was
 * seen (check-in, channel opened or closed) within two heartbeat intervals
 * plus slack for a slow network. The channel count is shown, not trusted:
 * a replica killed with SIGKILL never decrements its share.
 */
export class DevicePresence {
  readonly #db: Db;
  readonly #now: () => Date;
  readonly #heartbeatSeconds: number;

  constructor(db: Db, options: { readonly now: () => Date; readonly heartbeatSeconds: number }) {
    this.#db = db;
    this.#now = options.now;
    this.#heartbeatSeconds = options.heartbeatSeconds;
  }

  get heartbeatSeconds(): number {
    return this.#heartbeatSeconds;
  }

  async checkIn(deviceId: string, checkIn: CheckIn): Promise<void> {
    await this.#db.query(
      `INSERT INTO device_presence (device_id, last_seen_at, agent_version, root_of_trust, hardware_backed, last_address)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (device_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at,
         agent_version = EXCLUDED.agent_version, root_of_trust = EXCLUDED.root_of_trust,
         hardware_backed = EXCLUDED.hardware_backed, last_address = EXCLUDED.last_address`,
      [
        deviceId,
        this.#now(),
        checkIn.agentVersion,
        checkIn.rootOfTrust,
        checkIn.hardwareBacked,
        checkIn.address,
      ],
    );
  }

  async channelOpened(deviceId: string): Promise<void> {
    const at = this.#now();
    await this.#db.query(
      `INSERT INTO device_presence (device_id, last_seen_at, channel_connections, last_connected_at)
       VALUES ($1, $2, 1, $2)
       ON CONFLICT (device_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at,
         channel_connections = device_presence.channel_connections + 1, last_connected_at = EXCLUDED.last_connected_at`,
      [deviceId, at],
    );
  }

  async channelClosed(deviceId: string): Promise<void> {
    await this.#db.query(
      `UPDATE device_presence SET channel_connections = greatest(channel_connections - 1, 0),
         last_disconnected_at = $2, last_seen_at = $2
       WHERE device_id = $1`,
      [deviceId, this.#now()],
    );
  }

  /**
   * At start the counts a crashed predecessor left are stale. With several
   * replicas on one database this also zeroes the others' shares until their
   * devices reconnect or check in; the counts are informational only.
   */
  async resetConnections(): Promise<void> {
    await this.#db.query('UPDATE device_presence SET channel_connections = 0 WHERE channel_connections > 0');
  }

  async of(deviceId: string): Promise<PresenceView> {
    const result = await this.#db.query<PresenceRow>('SELECT * FROM device_presence WHERE device_id = $1', [
      deviceId,
    ]);
    const row = result.rows[0];
    if (!row) {
      return {
        deviceId,
        online: false,
        lastSeenAt: null,
        channelConnections: 0,
        lastConnectedAt: null,
        lastDisconnectedAt: null,
        agentVersion: null,
        rootOfTrust: null,
        hardwareBacked: null,
      };
    }
    return this.#view(row);
  }

  #view(row: PresenceRow): PresenceView {
    const freshUntil = row.last_seen_at.getTime() + (2 * this.#heartbeatSeconds + 10) * 1000;
    return {
      deviceId: row.device_id,
      online: this.#now().getTime() <= freshUntil,
      lastSeenAt: row.last_seen_at.toISOString(),
      channelConnections: row.channel_connections,
      lastConnectedAt: row.last_connected_at?.toISOString() ?? null,
      lastDisconnectedAt: row.last_disconnected_at?.toISOString() ?? null,
      agentVersion: row.agent_version,
      rootOfTrust: row.root_of_trust,
      hardwareBacked: row.hardware_backed,
    };
  }
}
