import type { WebSocket } from 'ws';

/** What the panel pushes to a device; the device answers by pulling, never by trusting the push's content. */
export type PushMessage =
  | { readonly type: 'hello'; readonly deviceId: string; readonly heartbeatSeconds: number }
  | { readonly type: 'desired-state-changed'; readonly reason: string }
  /** Renew the device certificate now (e.g. after the issuing CA was rotated), not at two thirds. */
  | { readonly type: 'renew-certificate'; readonly reason: string };

/**
 * The push channels open to this replica, by device. A device may briefly
 * hold two (a reconnect racing the old socket's close); a push goes to all.
 */
export class PushHub {
  readonly #sockets = new Map<string, Set<WebSocket>>();

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
