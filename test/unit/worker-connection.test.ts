// Connection (src/worker/connection.ts) over a fake socket: deadlines and a connection going away end a
// request with ERROR (or nothing, when the connection is gone), a late result is dropped, never a grant,
// and the password bytes are wiped either way. No timed assertions: tests wait for answers and events;
// where a handler must outlive its deadline before the timer can run, it spins synchronously.
import { EventEmitter, once } from "node:events";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { registryOf } from "../support/handler-registry.js";
import type { CheckContext, Handler, PasswordVerdict, SessionVerdict } from "../../src/handlers/types.js";
import { bytesField, defineHandlerField, encodeFrame, FrameDecoder, Kind, PROTOCOL_VERSION, Status, Tag, textField, textOf, u16Field, u32Field, u8Of, type Message } from "../../src/protocol/index.js";
import { answerMargin } from "../../src/worker/deadline.js";
import { Connection } from "../../src/worker/connection.js";
import { createLogger } from "../../src/log.js";

/** Enough of net.Socket for Connection: answers written are decoded into `answers`. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  writable = true;
  readonly answers: Message[] = [];
  readonly #decoder = new FrameDecoder();
  write(frame: Buffer): boolean {
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
    this.close();
    cb?.();
    return this;
  }
  destroy(): this {
    this.close();
    return this;
  }
  close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.writable = false;
    this.emit("close");
  }
  #read = 0;
  /** Resolves with the next answer not read yet, waiting for it if need be. */
  async nextAnswer(): Promise<Message> {
    while (this.answers.length <= this.#read) await once(this, "answer");
    return this.answers[this.#read++]!;
  }
}

/** A handler whose checkPassword calls `behaviour` with the context and the password bytes. */
function handlerOf(behaviour: (ctx: CheckContext, passwordBytes: Buffer) => Promise<PasswordVerdict>): Handler {
  return { checkPassword: (ctx, _password, passwordBytes) => behaviour(ctx, passwordBytes), close: async () => {} };
}

function open(handler: Handler): FakeSocket {
  const socket = new FakeSocket();
  new Connection(socket as unknown as Socket, {
    registry: registryOf({ "/h": handler }),
    logger: createLogger("error", { write: () => {} }),
    timeoutMs: 60_000,
    maxInFlight: 512,
    peer: "test",
    generationKey: null,
  });
  socket.emit("data", encodeFrame({ kind: Kind.HELLO, requestId: 0, fields: [u16Field(Tag.VERSION, PROTOCOL_VERSION), bytesField(Tag.NONCE, Buffer.alloc(16, 1))] }));
  return socket;
}

/** A CHECK_PASSWORD whose budget is `moduleTimeoutMs` less the margin. */
function check(requestId: number, moduleTimeoutMs: number): Buffer {
  return encodeFrame({
    kind: Kind.CHECK_PASSWORD,
    requestId,
    fields: [defineHandlerField(1, "type=script\npath=/h"), u32Field(Tag.HANDLER_ID, 1), textField(Tag.USER, "alice"), textField(Tag.PASSWORD, "pw"), u32Field(Tag.TIMEOUT_MS, moduleTimeoutMs)],
  });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("Connection: deadlines and connections going away", () => {
  it("answers GRANTED when the handler is in time, and wipes the password", async () => {
    let bytes: Buffer | undefined;
    const socket = open(
      handlerOf(async (_ctx, passwordBytes) => {
        bytes = passwordBytes;
        return { kind: "granted" };
      }),
    );
    await socket.nextAnswer(); // HELLO
    socket.emit("data", check(5, 60_000));
    const answer = await socket.nextAnswer();
    expect(answer).toMatchObject({ kind: Kind.CHECK_PASSWORD | 0x80, requestId: 5 });
    expect(u8Of(answer, Tag.STATUS)).toBe(Status.GRANTED);
    expect([...bytes!]).toEqual([0, 0]);
  });

  it("a handler that ignores its signal and never answers: ERROR 'deadline exceeded' at the deadline; its late grant is dropped", async () => {
    let grant: (v: PasswordVerdict) => void = () => {};
    let bytes: Buffer | undefined;
    const socket = open(
      handlerOf((_ctx, passwordBytes) => {
        bytes = passwordBytes;
        return new Promise((resolve) => (grant = resolve));
      }),
    );
    await socket.nextAnswer();
    socket.emit("data", check(6, 40));
    const answer = await socket.nextAnswer();
    expect(answer.requestId).toBe(6);
    expect(u8Of(answer, Tag.STATUS)).toBe(Status.ERROR);
    expect(textOf(answer, Tag.REASON)).toBe("deadline exceeded");
    expect([...bytes!]).toEqual([0, 0]);
    grant({ kind: "granted" });
    await turn();
    expect(socket.answers.length).toBe(2); // HELLO and the ERROR: nothing after
  });

  it("a handler that returns a grant after its deadline passed, before the timer could run: ERROR, never the grant", async () => {
    const budget = 40 - answerMargin(40);
    const socket = open(
      handlerOf(async () => {
        const until = performance.now() + budget + 5;
        while (performance.now() < until) {
          // the event loop cannot turn: only the clock tells that the deadline passed
        }
        return { kind: "granted" };
      }),
    );
    await socket.nextAnswer();
    socket.emit("data", check(7, 40));
    const answer = await socket.nextAnswer();
    expect(u8Of(answer, Tag.STATUS)).toBe(Status.ERROR);
    expect(textOf(answer, Tag.REASON)).toBe("deadline exceeded");
    await turn();
    expect(socket.answers.length).toBe(2);
  });

  it("a session check that never answers: ERROR 'deadline exceeded' at the deadline, like any request; its late grant is dropped", async () => {
    let grant: (v: SessionVerdict) => void = () => {};
    let signal: AbortSignal | undefined;
    const socket = open({
      checkSession: (_key, ctx) => {
        signal = ctx.signal;
        return new Promise((resolve) => (grant = resolve));
      },
      close: async () => {},
    });
    await socket.nextAnswer();
    const key = textField(Tag.SESSION_KEY, "q4d0xk2w5c3v8n1b7m6z9l0p2o4i8u7y");
    socket.emit("data", encodeFrame({ kind: Kind.CHECK_SESSION, requestId: 11, fields: [defineHandlerField(1, "type=script\npath=/h"), u32Field(Tag.HANDLER_ID, 1), key, u32Field(Tag.TIMEOUT_MS, 40)] }));
    const answer = await socket.nextAnswer();
    expect(answer).toMatchObject({ kind: Kind.CHECK_SESSION | 0x80, requestId: 11 });
    expect(u8Of(answer, Tag.STATUS)).toBe(Status.ERROR);
    expect(textOf(answer, Tag.REASON)).toBe("deadline exceeded");
    expect(signal?.aborted).toBe(true);
    grant({ kind: "granted", user: "alice", flags: { isStaff: false, isSuperuser: false } });
    await turn();
    expect(socket.answers.length).toBe(2);
  });

  it("a request that arrives with no time left never reaches the handler", async () => {
    let called = false;
    const socket = open(
      handlerOf(async () => {
        called = true;
        return { kind: "granted" };
      }),
    );
    await socket.nextAnswer();
    socket.emit("data", check(8, 3)); // 3 ms less a 5 ms margin: nothing left
    const answer = await socket.nextAnswer();
    expect(textOf(answer, Tag.REASON)).toBe("deadline exceeded");
    expect(called).toBe(false);
  });

  it("the signal, read early, aborts when the connection closes; nothing is sent; the password is wiped", async () => {
    let signal: AbortSignal | undefined;
    let bytes: Buffer | undefined;
    let grant: (v: PasswordVerdict) => void = () => {};
    const socket = open(
      handlerOf((ctx, passwordBytes) => {
        signal = ctx.signal;
        bytes = passwordBytes;
        return new Promise((resolve) => (grant = resolve));
      }),
    );
    await socket.nextAnswer();
    socket.emit("data", check(9, 60_000));
    while (signal === undefined) await turn();
    expect(signal.aborted).toBe(false);
    socket.close();
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe("connection closed");
    while (bytes![0] !== 0) await turn();
    expect([...bytes!]).toEqual([0, 0]);
    grant({ kind: "granted" });
    await turn();
    expect(socket.answers.length).toBe(1); // HELLO only
  });

  it("the signal, read late (after the connection closed), is made aborted", async () => {
    let ctx: CheckContext | undefined;
    const socket = open(
      handlerOf((c) => {
        ctx = c;
        return new Promise(() => {});
      }),
    );
    await socket.nextAnswer();
    socket.emit("data", check(10, 60_000));
    while (ctx === undefined) await turn();
    socket.close();
    await turn();
    expect(ctx.signal.aborted).toBe(true);
    expect((ctx.signal.reason as Error).message).toBe("connection closed");
  });

  it("the signal, read early, aborts at the deadline; read late, it is made aborted", async () => {
    const contexts: CheckContext[] = [];
    const early: AbortSignal[] = [];
    const socket = open(
      handlerOf((ctx) => {
        contexts.push(ctx);
        if (contexts.length === 1) early.push(ctx.signal);
        return new Promise(() => {});
      }),
    );
    await socket.nextAnswer();
    socket.emit("data", Buffer.concat([check(11, 40), check(12, 40)]));
    await socket.nextAnswer();
    await socket.nextAnswer();
    expect(early[0]!.aborted).toBe(true);
    expect((early[0]!.reason as Error).message).toBe("deadline exceeded");
    expect(contexts[1]!.signal.aborted).toBe(true);
    expect((contexts[1]!.signal.reason as Error).message).toBe("deadline exceeded");
  });
});
