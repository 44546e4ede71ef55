// Who may talk to the worker: its own uid, root, and each --trust-uid, checked with SO_PEERCRED when a
// connection is accepted. File modes already keep others out; this is the second lock, and the only
// one once the socket is 0660 for a group.
import type { Socket } from "node:net";
import { socketPeerCredentials, type Addon, type PeerCredentials } from "../native/addon.js";

export type PeerVerdict =
  | { readonly allowed: true; readonly peer: PeerCredentials }
  | { readonly allowed: false; readonly reason: string; readonly peer: PeerCredentials | null };

export class PeerPolicy {
  readonly #allowed: ReadonlySet<number>;
  readonly #addon: Addon | null;

  /** `addon` null means peers cannot be identified; only valid when file permissions enforce the same rule. */
  constructor(ownUid: number, trustUids: readonly number[], addon: Addon | null) {
    this.#allowed = new Set([ownUid, 0, ...trustUids]);
    this.#addon = addon;
  }

  get checksPeers(): boolean {
    return this.#addon !== null;
  }

  allowsUid(uid: number): boolean {
    return this.#allowed.has(uid);
  }

  check(socket: Socket): PeerVerdict {
    if (this.#addon === null) {
      return { allowed: true, peer: { uid: -1, gid: -1, pid: -1 } };
    }
    let peer: PeerCredentials;
    try {
      peer = socketPeerCredentials(this.#addon, socket);
    } catch (err) {
      return { allowed: false, reason: `cannot read peer credentials: ${(err as Error).message}`, peer: null };
    }
    if (!this.#allowed.has(peer.uid)) return { allowed: false, reason: `uid ${peer.uid} is not trusted`, peer };
    return { allowed: true, peer };
  }
}

export function describePeer(peer: PeerCredentials | null): string {
  if (peer === null || peer.uid < 0) return "peer";
  return `uid ${peer.uid} pid ${peer.pid}`;
}
