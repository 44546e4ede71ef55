// Loads build/Release/anp_addon.node (native/addon/anp_addon.cc), built by CMakeLists.txt.
// The worker needs it for SO_PEERCRED, and for crypt(3) when Django's crypt hasher is enabled; tests use its
// copy of the C codec. When it has not been built, loadAddon() returns null and says why once on stderr, so
// callers decide whether that is fatal.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AddonError } from "../errors.js";

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
  /**
   * Sets the niceness of `threads` threads of libuv's pool (each reached once, by tasks that wait for each
   * other); resolves with their thread ids, rejects (code E_POOL_PRIORITY) when they did not all start.
   */
  lowerPoolPriority(threads: number, niceness: number): Promise<number[]>;
  /** anp_fold_group_matches(): whether any user group equals a wanted name, ignoring ASCII case only. */
  foldGroupMatches(userGroups: readonly string[], wanted: readonly string[]): boolean;
  /** anp_fold_unasked_permission(): the first held name that was not asked, or null. */
  foldUnaskedPermission(asked: readonly string[], held: readonly string[]): string | null;
  /** anp_fold_permission_line(): a Require node-permission line decided from a folded answer. */
  foldPermissionLine(asked: readonly string[], held: readonly string[], line: readonly string[]): "granted" | "denied" | "ask";
  /** anp_fold_permissions(): whether a password check carries the location's permission names. */
  foldPermissions(count: number, groupHandlerRides: boolean, sameHandler: boolean, groupHandlerConfigured: boolean): boolean;
  /** SipHash-2-4-128 (native/anp_siphash.c) under a 16-byte key, over the parts concatenated. */
  siphash128(key: Buffer, parts: readonly Buffer[]): Buffer;
  /** prctl(PR_SET_DUMPABLE): false keeps same-uid processes from ptrace and /proc/<pid>/mem; throws E_PRCTL. */
  setDumpable(on: boolean): void;
  /** prctl(PR_GET_DUMPABLE) === 1. */
  isDumpable(): boolean;
  /** TracerPid of /proc/self/status: 0 when no process traces this one; throws E_PROC. */
  tracerPid(): number;
  /**
   * Makes fds 1 and 2 two pipes that native threads copy to the old fd 2, each line behind httpd's time
   * stamp ("[Sun Dec 06 03:06:32.869562 2026] ", local time) and `stdoutPrefix` or `stderrPrefix`, with
   * control characters and backslashes escaped. Returns the old fd 2 (close-on-exec), for the worker's own
   * log lines. Throws E_RELAY.
   */
  relayOutput(stdoutPrefix: string, stderrPrefix: string): number;
  /**
   * crypt(3) (libxcrypt's crypt_rn) of `phrase` with `setting`, on libuv's thread pool: its output, or null
   * when crypt failed (a null result or a failure token). Throws a TypeError at once when either has a NUL.
   */
  crypt(phrase: Buffer, setting: Buffer): Promise<Buffer | null>;
  /** CRYPT_MAX_PASSPHRASE_SIZE: crypt(3) fails for phrases of this many bytes or more. */
  readonly cryptMaxPassphrase: number;
  /** ANP_PROTOCOL_VERSION as compiled. */
  readonly protocolVersion: number;
  /**
   * anp_generations_map(): the generations table open on `fd`, read-write (formatted when it is not yet) or
   * read-only. Throws an Error with code EINVAL (a size or layout this build does not know) or ERRNO.
   */
  generationsMap(fd: number, writable: boolean): GenerationsHandle;
  generationsInfo(table: GenerationsHandle): { readonly slots: number; readonly epoch: bigint; readonly lease: bigint };
  generationsSlot(table: GenerationsHandle, slot: number): bigint;
  /** The slot's new generation; the table must be mapped writable. */
  generationsBumpSlot(table: GenerationsHandle, slot: number): bigint;
  generationsBumpEpoch(table: GenerationsHandle): bigint;
  generationsSetLease(table: GenerationsHandle, untilNs: bigint): void;
  /** anp_generations_current(): the children's rule for a kept answer's stamp. */
  generationsCurrent(table: GenerationsHandle, epoch: bigint, slot: number, generation: bigint, nowNs: bigint): boolean;
  /** CLOCK_MONOTONIC in nanoseconds, the lease's clock. */
  generationsNow(): bigint;
  /** Unmaps now rather than at garbage collection; later calls on the handle throw. */
  generationsClose(table: GenerationsHandle): void;
}

/** A mapping of the generations table (native/anp_generations.h), opaque to TypeScript. */
export type GenerationsHandle = { readonly __generationsTable: unique symbol };

/** The package root: this file is src/native/addon.ts or dist/native/addon.js. */
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where CMakeLists.txt puts the addon. */
export const addonPath = join(packageRoot, "build", "Release", "anp_addon.node");

let cached: Addon | null | undefined;
let failure: string | null = null;

function reportOnStderr(reason: string): void {
  process.stderr.write(`mod_authnz_node: ${reason}\n`);
}

/** Loads the addon at `path`, or gives the reason it cannot (no caching, no logging). */
export function loadAddonFrom(path: string): { addon: Addon } | { failure: string } {
  if (!existsSync(path)) return { failure: `native addon not built (${path} missing): run npm run build:native` };
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as Addon;
    if (typeof addon.peerCredentials !== "function" || typeof addon.decode !== "function" || typeof addon.lowerPoolPriority !== "function") {
      return { failure: `native addon ${path} lacks peerCredentials/decode/lowerPoolPriority: rebuild it` };
    }
    return { addon };
  } catch (err) {
    return { failure: `native addon ${path} failed to load: ${(err as Error).message}` };
  }
}

/**
 * The addon, or null when it is not built or will not load. The reason goes to `report` (by default one
 * line on stderr) the first time only, and stays available from addonLoadFailure().
 */
export function loadAddon(report: (reason: string) => void = reportOnStderr): Addon | null {
  if (cached !== undefined) return cached;
  const result = loadAddonFrom(addonPath);
  if ("addon" in result) {
    cached = result.addon;
    return cached;
  }
  cached = null;
  failure = result.failure;
  report(failure);
  return cached;
}

/** Why loadAddon() returned null, or null when it loaded (or was not tried yet). */
export function addonLoadFailure(): string | null {
  return failure;
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
