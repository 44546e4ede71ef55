// Loads build/Release/anp_addon.node (native/addon/anp_addon.cc), built by CMakeLists.txt.
// The worker needs it for SO_PEERCRED; tests use its copy of the C codec. When it has not been built,
// loadAddon() returns null and says why once on stderr, so callers decide whether that is fatal.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PeerCredentials {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

export interface AddonField {
  readonly tag: number;
  readonly value: Buffer;
}

export interface AddonMessage {
  readonly kind: number;
  readonly requestId: number;
  readonly fields: readonly AddonField[];
}

/** What anp_decode() answered: a frame and its size, or an error code with the header it could read. */
export type AddonDecodeResult =
  | { readonly size: number; readonly message: AddonMessage }
  | {
      readonly error: "E_SHORT" | "E_TOO_LARGE" | "E_MALFORMED";
      /** The frame's kind and request id, 0 when the length prefix itself was bad or too few bytes came. */
      readonly kind: number;
      readonly requestId: number;
    };

export interface Addon {
  /** getsockopt(SO_PEERCRED) on a connected Unix socket; throws an Error with code E_PEERCRED. */
  peerCredentials(fd: number): PeerCredentials;
  /** anp_writer over the fields; throws an Error with code E_TOO_LARGE, E_MALFORMED or E_NOSPACE. */
  encode(kind: number, requestId: number, fields: readonly AddonField[]): Buffer;
  /** anp_decode(). */
  decode(buf: Buffer): AddonDecodeResult;
  /** anp_tag_allowed(). */
  tagAllowed(kind: number, tag: number): boolean;
  /** ANP_PROTOCOL_VERSION as compiled. */
  readonly protocolVersion: number;
}

export class AddonError extends Error {
  readonly code: "E_NO_FD";
  constructor(code: "E_NO_FD", message: string) {
    super(message);
    this.name = "AddonError";
    this.code = code;
  }
}

/** The package root: this file is src/native/addon.ts or dist/native/addon.js. */
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where CMakeLists.txt puts the addon. */
export const addonPath = join(packageRoot, "build", "Release", "anp_addon.node");

let cached: Addon | null | undefined;

/** The addon, or null (with one line on stderr saying why) when it is not built or will not load. */
export function loadAddon(): Addon | null {
  if (cached !== undefined) return cached;
  if (!existsSync(addonPath)) {
    process.stderr.write(`mod_authnz_node: native addon not built (${addonPath} missing): run npm run build:native\n`);
    cached = null;
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = require(addonPath) as Addon;
  } catch (err) {
    process.stderr.write(`mod_authnz_node: native addon ${addonPath} failed to load: ${(err as Error).message}\n`);
    cached = null;
  }
  return cached;
}

/**
 * The file descriptor of a connected net.Socket. Node exposes it only on the internal handle
 * (`_handle.fd`, a Pipe on Unix sockets); -1 or a missing handle means it is not known.
 */
export function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } })._handle;
  const fd = handle?.fd;
  if (typeof fd !== "number" || fd < 0) {
    throw new AddonError("E_NO_FD", "socket has no file descriptor (closed, or not a Unix socket)");
  }
  return fd;
}

/** Peer credentials of a connected Unix socket, via the addon. */
export function socketPeerCredentials(addon: Addon, socket: Socket): PeerCredentials {
  return addon.peerCredentials(socketFd(socket));
}
