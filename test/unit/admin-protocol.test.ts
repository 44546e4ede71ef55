// The admin socket's frames (src/protocol/admin.ts) and the worker's admin dispatcher (adminAnswer): one
// STATUS request per connection, header only and bounded; its answer's JSON cut into fields and put back
// together; anything else refused. The request socket's codec refuses the admin kind.
import { describe, expect, it } from "vitest";
import { adminAnswer } from "../../src/worker/admin-server.js";
import {
  ADMIN_KIND_STATUS,
  ADMIN_MAX_REQUEST_LEN,
  ANSWER_BIT,
  MAX_FIELD_LEN,
  ProtocolError,
  decodeAdminAnswer,
  decodeFrame,
  encodeAdminAnswer,
  encodeAdminRequest,
  encodeRawFrame,
  parseAdminRequest,
} from "../../src/protocol/index.js";

describe("admin frames", () => {
  it("a STATUS request is the header alone and parses back to its request id", () => {
    const request = encodeAdminRequest(42);
    expect(request.length).toBe(11);
    expect(parseAdminRequest(request)).toEqual({ requestId: 42 });
  });

  it("an incomplete request asks for more; bytes after it, a field, another kind or too many bytes are refused", () => {
    const request = encodeAdminRequest(1);
    expect(parseAdminRequest(request.subarray(0, 3))).toBeNull();
    expect(parseAdminRequest(request.subarray(0, 9))).toBeNull();
    expect(() => parseAdminRequest(Buffer.concat([request, Buffer.from([0])]))).toThrow(ProtocolError);
    expect(() => parseAdminRequest(encodeRawFrame({ kind: ADMIN_KIND_STATUS, requestId: 1, fields: [{ tag: 1, value: Buffer.from("x") }] }))).toThrow(ProtocolError);
    expect(() => parseAdminRequest(encodeRawFrame({ kind: 0x02, requestId: 1, fields: [] }))).toThrow(/unknown admin kind/);
    expect(() => parseAdminRequest(Buffer.alloc(ADMIN_MAX_REQUEST_LEN + 1))).toThrow(/over 64 bytes/);
  });

  it("the request socket's codec does not know the admin kind", () => {
    expect(() => decodeFrame(encodeAdminRequest(1))).toThrow(/unknown message kind/);
  });

  it("an answer longer than a field is cut into fields and put back together", () => {
    const json = JSON.stringify({ filler: "é".repeat(MAX_FIELD_LEN) });
    const frame = encodeAdminAnswer(9, json);
    expect(frame.readUInt8(4)).toBe(ADMIN_KIND_STATUS | ANSWER_BIT);
    expect(decodeAdminAnswer(frame)).toEqual({ requestId: 9, json });
    expect(decodeAdminAnswer(frame.subarray(0, frame.length - 1))).toBeNull();
  });
});

describe("the worker's admin dispatcher", () => {
  const status = () => ({ pid: 123, uptimeSeconds: 5 });

  it("answers a whole STATUS request with the status as JSON, under the request's id", () => {
    const answer = adminAnswer(encodeAdminRequest(77), status);
    expect(answer).not.toBeNull();
    expect(decodeAdminAnswer(answer as Buffer)).toEqual({ requestId: 77, json: '{"pid":123,"uptimeSeconds":5}' });
  });

  it("waits for the rest of a request, and reads the status only once it is whole", () => {
    let reads = 0;
    expect(adminAnswer(encodeAdminRequest(1).subarray(0, 6), () => ++reads)).toBeNull();
    expect(reads).toBe(0);
  });

  it("refuses what is not a STATUS request (the server then closes without answering)", () => {
    expect(() => adminAnswer(encodeRawFrame({ kind: 0x01, requestId: 1, fields: [] }), status)).toThrow(ProtocolError);
  });
});
