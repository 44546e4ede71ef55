// The one error type of the protocol layer. The worker turns it into a STATUS ERROR answer carrying
// `requestId` and then closes the connection (docs/protocol.md, "Connection life" 3).

export type ProtocolErrorCode = "E_TOO_LARGE" | "E_MALFORMED";

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  /** The bad frame's request id, or 0 when its header could not be read (bad length prefix). */
  readonly requestId: number;

  constructor(code: ProtocolErrorCode, message: string, requestId = 0) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.requestId = requestId;
  }
}
