import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Db } from '../db/index.ts';

/** The PostgreSQL channel replicas fan pushes out on. */
export const PUSH_CHANNEL = 'palisade_push';

/** What the panel pushes to a device; the device answers by pulling, never by trusting the push's content. */
export type PushMessage =
  | { readonly type: 'hello'; readonly deviceId: string; readonly heartbeatSeconds: number }
  | { readonly type: 'desired-state-changed'; readonly reason: string }
  /** Renew the device certificate now (e.g. after the issuing CA was rotated), not at two thirds. */
  | { readonly type: 'renew-certificate'; readonly reason: string }
  /** Attest now (fetch a challenge, quote, post evidence) instead of at the profile's interval. */
  | { readonly type: 'attest'; readonly reason: string };

/**
 * The push channels open to this replica, by device. A device may briefly
 * hold two (a reconnect racing the old socket's close); a push goes to all.
 */
export class PushHub {
  readonly #sockets = new Map<string, Set<WebSocket>>();
  /** Tells this replica's own notifications apart from the others'. */
  readonly #replicaId = randomUUID();
  #db: Db | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  /**
   * Joins the replicas sharing `db`: a push published on any of them reaches
   * the device on whichever replica holds its channel (LISTEN/NOTIFY).
   */
  async attach(db: Db): Promise<void> {
    this.#db = db;
    this.#unlisten = await db.listen(PUSH_CHANNEL, (payload) => this.#receive(payload));
  }

  async detach(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = undefined;
    this.#db = undefined;
  }

  /**
   * Sends to the device's channels on this replica at once and asks every
   * other replica to do the same with theirs; answers how many channels
   * here got it (the other replicas' deliveries are not counted).
   */
  async publish(deviceId: string, message: PushMessage): Promise<number> {
    const here = this.push(deviceId, message);
    await this.#db?.notify(PUSH_CHANNEL, JSON.stringify({ origin: this.#replicaId, deviceId, message }));
    return here;
  }

  /**
   * The same message to many devices (a policy rollout phase): one NOTIFY per
   * chunk of device IDs instead of one per device.
   */
  async publishMany(deviceIds: readonly string[], message: PushMessage): Promise<void> {
    const chunk = 60; // 60 × 128-character IDs stay under NOTIFY's 8000-byte payload
    for (let i = 0; i < deviceIds.length; i += chunk) {
      const ids = deviceIds.slice(i, i + chunk);
      for (const id of ids) this.push(id, message);
      await this.#db?.notify(
        PUSH_CHANNEL,
        JSON.stringify({ origin: this.#replicaId, deviceIds: ids, message }),
      );
    }
  }

  #receive(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const { origin, deviceId, deviceIds, message } = (parsed ?? {}) as {
      origin?: unknown;
      deviceId?: unknown;
      deviceIds?: unknown;
      message?: unknown;
    };
    if (origin === this.#replicaId || typeof message !== 'object' || message === null) return;
    const targets = Array.isArray(deviceIds) ? deviceIds : [deviceId];
    for (const target of targets) if (typeof target === 'string') this.push(target, message as PushMessage);
  }

  add(deviceId: string, socket: WebSocket): void {
    let sockets = this.#sockets.get(deviceId);
    if (!sockets) {
      sockets = new Set();
      this.#sockets.set(deviceId, sockets);
    }
    sockets.add(socket);
  }

  remove(deviceId: string, socket: WebSocket): void {
    const sockets = this.#sockets.get(deviceId);
    if (!sockets) return;
    sockets.delete(socket);
    if (sockets.size === 0) this.#sockets.delete(deviceId);
  }

  /** Sends to every open channel of the device; answers how many got it (0: not connected here). */
  push(deviceId: string, message: PushMessage): number {
    const sockets = this.#sockets.get(deviceId);
    if (!sockets) return 0;
    const text = JSON.stringify(message);
    let sent = 0;
    for (const socket of sockets) {
      if (socket.readyState !== socket.OPEN) continue;
      socket.send(text);
      sent += 1;
    }
    return sent;
  }

  isConnected(deviceId: string): boolean {
    return this.#sockets.has(deviceId);
  }

  get connectedDevices(): number {
    return this.#sockets.size;
  }

  /** Closes every channel (shutdown): agents reconnect, to this replica when it is back or to another. */
  closeAll(code: number, reason: string): void {
    for (const sockets of this.#sockets.values()) for (const socket of sockets) socket.close(code, reason);
  }
}
