// The version 3 handshake's proofs (docs/protocol.md, "Connection life"): SipHash-2-4-128 under the
// generation key httpd's parent drew, over a label and both sides' nonces. The SipHash is the module's
// own C code (through the addon), so both sides compute the same bytes by construction.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { NONCE_LEN, PROOF_LEN } from "../protocol/constants.js";
import { loadAddon } from "../native/addon.js";
import type { Logger } from "../log.js";

const WORKER_LABEL = Buffer.from("mod_authnz_node worker proof", "ascii");
const MODULE_LABEL = Buffer.from("mod_authnz_node module proof", "ascii");

function siphash(key: Buffer, parts: readonly Buffer[]): Buffer {
  const addon = loadAddon();
  // No addon, no proof: the handshake fails closed (the worker refuses to start without it anyway).
  if (addon === null) throw new Error("native addon not loaded: cannot compute handshake proofs");
  return addon.siphash128(key, parts);
}

/** The worker's PROOF in its HELLO answer: over the module's nonce, then its own. */
export function workerProof(key: Buffer, moduleNonce: Buffer, workerNonce: Buffer): Buffer {
  return siphash(key, [WORKER_LABEL, moduleNonce, workerNonce]);
}

/** The module's PROOF in AUTH: over the worker's nonce, then the module's. */
export function moduleProof(key: Buffer, workerNonce: Buffer, moduleNonce: Buffer): Buffer {
  return siphash(key, [MODULE_LABEL, workerNonce, moduleNonce]);
}

export function freshNonce(): Buffer {
  return randomBytes(NONCE_LEN);
}

/** Constant time over the bytes; a proof of another length is simply wrong. */
export function proofMatches(expected: Buffer, got: Uint8Array | undefined): boolean {
  if (got === undefined || got.length !== PROOF_LEN || expected.length !== PROOF_LEN) return false;
  return timingSafeEqual(expected, got);
}

/** How often, at most, failed handshakes are summed up in a warning. */
const WARN_EVERY_MS = 60_000;
let failedSinceWarn = 0;
let lastWarn = -Infinity;

/**
 * A peer failed the handshake. Each failure is a debug line only, so a flood of them cannot flood the
 * log; a warning counts them at most once a minute.
 */
export function noteHandshakeFailure(logger: Logger, peer: string, why: string, now: number = Date.now()): void {
  logger.debug("ANP0626", `connection from ${peer}: handshake failed (${why}); closed without an answer`);
  failedSinceWarn++;
  if (now - lastWarn < WARN_EVERY_MS) return;
  logger.warn("ANP0627", `${failedSinceWarn} connection(s) failed the handshake (no generation key proof) since the last such warning; latest from ${peer}: ${why}`);
  failedSinceWarn = 0;
  lastWarn = now;
}
