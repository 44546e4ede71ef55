// The worker's side of the version 3 handshake (src/worker/connection.ts, handshake.ts) over a fake socket:
// with a generation key, HELLO is answered with NONCE and PROOF, and the frame after it must be AUTH with
// the module's PROOF; anything else closes the connection with no byte more, and no handler runs. Without
// a key (--no-bootstrap), HELLO carries no PROOF and requests follow at once.
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { registryOf } from "../support/handler-registry.js";
import type { Handler } from "../../src/handlers/types.js";
import { bytesField, defineHandlerField, encodeFrame, firstField, FrameDecoder, Kind, PROTOCOL_VERSION, Status, Tag, textField, textOf, u16Field, u32Field, u8Of, type Message } from "../../src/protocol/index.js";
import { Connection } from "../../src/worker/connection.js";
import { moduleProof, noteHandshakeFailure, workerProof } from "../../src/worker/handshake.js";
import { createLogger } from "../../src/log.js";

class FakeSocket extends EventEmitter {
  destroyed = false;
  writable = true;
  bytesWritten = 0;
  readonly answers: Message[] = [];
  readonly #decoder = new FrameDecoder();
  write(frame: Buffer): boolean {
    this.bytesWritten += frame.length;
    this.#decoder.push(frame, this.answers);
    this.emit("answer");
    return true;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  end(cb?: () => void): this {
    this.destroy();
    cb?.();
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.writable = false;
      this.emit("close");
    }
    return this;
  }
}

const KEY = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
const WRONG_KEY = Buffer.from("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "hex");
const N_M = Buffer.alloc(16, 0x11);

function setup(generationKey: Buffer | null, logLines: string[] = []): { socket: FakeSocket; calls: string[] } {
  const calls: string[] = [];
  const handler: Handler = {
    checkPassword: async (ctx) => {
      calls.push(ctx.user);
      return { kind: "granted" as const };
    },
    close: async () => {},
  };
  const socket = new FakeSocket();
  new Connection(socket as unknown as Socket, {
    registry: registryOf({ "/h": handler }),
    logger: createLogger("warn", { write: (line: string) => void logLines.push(line) }),
    timeoutMs: 60_000,
    maxInFlight: 512,
    peer: "test",
    generationKey,
  });
  return { socket, calls };
}

const hello = (nonce: Buffer | null = N_M): Buffer =>
  nonce
    ? encodeFrame({ kind: Kind.HELLO, requestId: 0, fields: [u16Field(Tag.VERSION, PROTOCOL_VERSION), bytesField(Tag.NONCE, nonce)] })
    : // Laid out by hand: the codec would refuse to encode a HELLO without NONCE once version 3 requires it.
      Buffer.from([0, 0, 0, 12, Kind.HELLO, 0, 0, 0, 0, 0, 1, Tag.VERSION, 0, 2, PROTOCOL_VERSION >> 8, PROTOCOL_VERSION & 0xff]);
const auth = (proof: Buffer): Buffer => encodeFrame({ kind: Kind.AUTH, requestId: 0, fields: [bytesField(Tag.PROOF, proof)] });
const check = (): Buffer =>
  encodeFrame({
    kind: Kind.CHECK_PASSWORD,
    requestId: 1,
    fields: [defineHandlerField(1, "type=script\npath=/h"), u32Field(Tag.HANDLER_ID, 1), textField(Tag.USER, "alice"), textField(Tag.PASSWORD, "pw")],
  });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** HELLO, then its answer's worker nonce (checking its proof). */
function greet(socket: FakeSocket): Buffer {
  socket.emit("data", hello());
  const answer = socket.answers[0]!;
  expect(u8Of(answer, Tag.STATUS)).toBe(Status.GRANTED);
  const nW = Buffer.from(firstField(answer, Tag.NONCE)!.value);
  expect(nW.length).toBe(16);
  expect(Buffer.from(firstField(answer, Tag.PROOF)!.value).equals(workerProof(KEY, N_M, nW))).toBe(true);
  return nW;
}

describe("worker handshake with a generation key", () => {
  it("answers HELLO with NONCE and PROOF, and serves requests after the right AUTH (sent in the same write)", async () => {
    const { socket, calls } = setup(KEY);
    const nW = greet(socket);
    socket.emit("data", Buffer.concat([auth(moduleProof(KEY, nW, N_M)), check()]));
    for (let i = 0; i < 10 && socket.answers.length < 2; i++) await turn();
    expect(textOf(socket.answers[1]!, Tag.REASON)).toBeUndefined();
    expect(u8Of(socket.answers[1]!, Tag.STATUS)).toBe(Status.GRANTED);
    expect(calls).toEqual(["alice"]);
    expect(socket.destroyed).toBe(false);
  });

  const refused: [string, (nW: Buffer) => Buffer][] = [
    ["a request with no AUTH", () => check()],
    ["AUTH with a proof made with another key", (nW) => Buffer.concat([auth(moduleProof(WRONG_KEY, nW, N_M)), check()])],
    ["AUTH replayed from another connection (other nonces)", () => Buffer.concat([auth(moduleProof(KEY, Buffer.alloc(16, 0x22), N_M)), check()])],
    ["the worker's own proof sent back", (nW) => Buffer.concat([auth(workerProof(KEY, N_M, nW)), check()])],
    ["a malformed frame", () => Buffer.from("0000000701000000000000", "hex")],
    ["a second HELLO", () => hello()],
  ];
  for (const [name, next] of refused) {
    it(`closes with no byte more and runs no handler on ${name}`, async () => {
      const { socket, calls } = setup(KEY);
      const nW = greet(socket);
      const before = socket.bytesWritten;
      socket.emit("data", next(nW));
      for (let i = 0; i < 10; i++) await turn();
      expect(socket.destroyed).toBe(true);
      expect(socket.bytesWritten).toBe(before);
      expect(calls).toEqual([]);
    });
  }

  it("closes a HELLO without NONCE unanswered", () => {
    const { socket } = setup(KEY);
    socket.emit("data", hello(null));
    expect(socket.destroyed).toBe(true);
    expect(socket.bytesWritten).toBe(0);
  });

  it("a flood of failed handshakes logs at most one warning a minute", () => {
    const lines: string[] = [];
    const logger = createLogger("warn", { write: (line: string) => void lines.push(line) });
    for (let i = 0; i < 1000; i++) noteHandshakeFailure(logger, "test", "wrong PROOF in AUTH", 1e13 + i);
    expect(lines.length).toBe(1);
    noteHandshakeFailure(logger, "test", "wrong PROOF in AUTH", 1e13 + 61_000);
    expect(lines.length).toBe(2);
    expect(lines[1]).toContain("1000 connection(s)");
  });
});

describe("worker handshake without a key (--no-bootstrap)", () => {
  it("answers HELLO without PROOF and serves requests with no AUTH", async () => {
    const { socket, calls } = setup(null);
    socket.emit("data", Buffer.concat([hello(), check()]));
    for (let i = 0; i < 10 && socket.answers.length < 2; i++) await turn();
    expect(firstField(socket.answers[0]!, Tag.PROOF)).toBeUndefined();
    expect(textOf(socket.answers[1]!, Tag.REASON)).toBeUndefined();
    expect(u8Of(socket.answers[1]!, Tag.STATUS)).toBe(Status.GRANTED);
    expect(calls).toEqual(["alice"]);
  });
});
