// WorkerRequest objects built by hand, as decodeRequest would give them, for tests of the dispatcher and
// the fold that need no socket.
import { Kind } from "../../src/protocol/constants.js";
import type { WireText, WorkerRequest } from "../../src/worker/request.js";

/** A user name or password as the request carries it: its text and the UTF-8 bytes the client sent. */
export const wireText = (text: string): WireText => ({ text, bytes: Buffer.from(text, "utf8") });

/** A CHECK_PASSWORD for alice with password "pw", handler id 1 and nothing folded; `over` replaces fields. */
export function checkPasswordRequest(over: Partial<WorkerRequest> = {}): WorkerRequest {
  return {
    kind: Kind.CHECK_PASSWORD,
    requestId: 1,
    handlerId: 1,
    groupHandlerId: null,
    definitions: [],
    user: wireText("alice"),
    password: wireText("pw"),
    realm: null,
    host: null,
    groups: [],
    permissions: [],
    environ: {},
    timeoutMs: null,
    client: null,
    sessionKey: null,
    wantUserFlags: false,
    ...over,
  };
}
