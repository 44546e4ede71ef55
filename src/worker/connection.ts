// One module connection: the HELLO handshake, then any number of requests, each dispatched at once and
// answered when its handler finishes, so answers go out in completion order, matched by request id.
// A frame that breaks the protocol is answered with ERROR and the connection is closed: once framing is
// in doubt nothing later on the stream can be trusted. Every request in flight then fails on the module side.
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { ANSWER_BIT, Kind, PROTOCOL_VERSION, Status, Tag } from "../protocol/constants.js";
import { FrameDecoder, encodeFrame } from "../protocol/codec.js";
import { bytesField, firstField, u16Field, u16Of, u8Field, textField, wipePasswords } from "../protocol/fields.js";
import type { Message } from "../protocol/message.js";
import { encodeAnswer, errorAnswer, type Answer } from "./answer.js";
import { DeadlineGroup, RequestDeadline, requestBudget, type OverCallback } from "./deadline.js";
import { Dispatcher, failureAnswer } from "./dispatcher.js";
import { ProtocolError, RequestError, ShuttingDownError } from "../errors.js";
import type { LockoutPolicy } from "../brute-force/types.js";
import type { HandlerRegistry } from "../handlers/registry.js";
import type { Logger } from "../log.js";
import { OPERATION_NAMES, decodeRequest, isRequestKind, type WorkerRequest } from "./request.js";
import { freshNonce, moduleProof, noteHandshakeFailure, proofMatches, workerProof } from "./handshake.js";

export interface ConnectionOptions {
  /** The worker's handlers by spec text; each connection keeps its own ids over it. */
  readonly registry: HandlerRegistry;
  /** The worker's own lockout policies (the native throttle), asked for every CHECK_PASSWORD with a client. */
  readonly lockoutPolicies?: readonly LockoutPolicy[];
  /** Called when a CHECK_PASSWORD is answered THROTTLED: kept grants must not outlive a lockout. */
  readonly onLockout?: () => void;
  readonly logger: Logger;
  /** --timeout-ms: the longest any request may take. */
  readonly timeoutMs: number;
  /** Requests in flight at which reading pauses until some are answered. */
  readonly maxInFlight: number;
  /** For log lines: who is on the other end (e.g. "uid 33 pid 1234"). */
  readonly peer: string;
  /**
   * This generation's key (from the bootstrap fd): HELLO is answered with a PROOF and the next frame must
   * be AUTH with the module's PROOF. null (--no-bootstrap): no PROOF, no AUTH.
   */
  readonly generationKey: Buffer | null;
}

/** The connection-level error answer: HELLO's answer kind, as it is valid in every state. */
const CONNECTION_ERROR_KIND = Kind.HELLO;

/** A request being answered: its deadline, and what is needed to answer it and wipe its password. */
class PendingRequest extends RequestDeadline {
  readonly req: WorkerRequest;
  readonly msg: Message;
  constructor(group: DeadlineGroup, budgetMs: number, onOver: OverCallback, req: WorkerRequest, msg: Message) {
    super(group, budgetMs, onOver);
    this.req = req;
    this.msg = msg;
  }
}

export class Connection {
  readonly #socket: Socket;
  readonly #options: ConnectionOptions;
  readonly #decoder = new FrameDecoder();
  /** This connection's handler ids and the requests' way to their handlers. */
  readonly #dispatcher: Dispatcher;
  /** The deadlines of the requests in flight; aborted when the connection goes away, which ends them all. */
  readonly #requests = new DeadlineGroup();
  /** Answers a request that is over (deadline passed or connection gone) before its handler finished. */
  readonly #onOverdue: OverCallback = (pending, reason) => {
    const p = pending as PendingRequest;
    this.#complete(p, failureAnswer(reason, p.req));
  };
  readonly #inFlight = new Set<number>();
  /** Frames read but not dispatched yet, because maxInFlight requests are running; read order is kept. */
  #backlog: Message[] = [];
  #greeted = false;
  /** After HELLO with a generation key: the module's PROOF that AUTH must carry; null once it did. */
  #expectedAuth: Buffer | null = null;
  #failed = false;
  #stopping = false;
  #writeBlocked = false;
  #readPaused = false;
  readonly #closed: Promise<void>;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#dispatcher = new Dispatcher(options.registry, options.lockoutPolicies, options.onLockout);
    this.#closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("drain", () => {
      this.#writeBlocked = false;
      this.#updateFlow();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // EPIPE/ECONNRESET: the module went away; its requests are failed on its side already.
      options.logger.debug("ANP0621", `connection from ${options.peer}: ${err.code ?? err.message}`);
    });
    socket.on("close", () => {
      this.#requests.abort(new Error("connection closed"));
      this.#dropBacklog();
    });
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves once the socket is closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /**
   * Graceful stop: requests in flight are still answered; anything that arrives later gets ERROR
   * "worker shutting down"; the socket is ended once nothing is in flight.
   */
  stop(): void {
    this.#stopping = true;
    this.#drainBacklog();
    this.#endIfIdle();
  }

  /** Hard stop: fails whatever is still running (the module sees the connection close) and closes now. */
  destroy(): void {
    this.#requests.abort(new ShuttingDownError());
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#failed) return;
    try {
      // Straight into the backlog: no array per chunk.
      this.#decoder.push(chunk, this.#backlog);
    } catch (err) {
      const pe = err instanceof ProtocolError ? err : new ProtocolError("E_MALFORMED", String(err));
      this.#fail(pe.requestId, `${pe.code}: ${pe.message}`);
      this.#dropBacklog();
      return;
    }
    this.#drainBacklog();
  }

  /**
   * Dispatches read frames while fewer than maxInFlight requests run. One chunk from the socket can hold
   * hundreds of frames, so pausing the socket alone would not bound the requests running at once.
   */
  #drainBacklog(): void {
    while (this.#backlog.length > 0 && !this.#failed && (this.#stopping || this.#inFlight.size < this.#options.maxInFlight)) {
      this.#onMessage(this.#backlog.shift() as Message);
    }
    if (this.#failed) this.#dropBacklog();
    this.#updateFlow();
  }

  #dropBacklog(): void {
    for (const message of this.#backlog) wipePasswords(message);
    this.#backlog = [];
  }

  #onMessage(msg: Message): void {
    if (!this.#greeted) {
      this.#onHello(msg);
      return;
    }
    if (this.#expectedAuth !== null) {
      this.#onAuth(msg);
      return;
    }
    if (msg.kind === Kind.HELLO) return this.#fail(msg.requestId, "HELLO sent twice");
    if (!isRequestKind(msg.kind)) return this.#fail(msg.requestId, `kind 0x${msg.kind.toString(16)} is not a request`);
    if (this.#inFlight.has(msg.requestId)) return this.#fail(msg.requestId, `request id ${msg.requestId} already in flight`);
    let req: WorkerRequest;
    try {
      req = decodeRequest(msg);
    } catch (err) {
      return this.#fail(msg.requestId, err instanceof RequestError ? err.message : String(err));
    }
    if (this.#stopping) {
      wipePasswords(msg);
      this.#send(req.kind, req.requestId, errorAnswer(new ShuttingDownError().message));
      return;
    }
    this.#run(req, msg);
  }

  /** Whether this connection still owes its AUTH (a key is set and AUTH has not been read). */
  get #unproven(): boolean {
    return this.#options.generationKey != null && (!this.#greeted || this.#expectedAuth !== null);
  }

  /** The proof fields of the HELLO answer, and the PROOF expected in AUTH; none without a key. */
  #proofFields(msg: Message): ReturnType<typeof bytesField>[] | null {
    const key = this.#options.generationKey;
    if (key == null) return [];
    const nonce = firstField(msg, Tag.NONCE)?.value;
    if (nonce === undefined) return null;
    const moduleNonce = Buffer.from(nonce);
    const workerNonce = freshNonce();
    this.#expectedAuth = moduleProof(key, workerNonce, moduleNonce);
    return [bytesField(Tag.NONCE, workerNonce), bytesField(Tag.PROOF, workerProof(key, moduleNonce, workerNonce))];
  }

  #onHello(msg: Message): void {
    if (msg.kind !== Kind.HELLO) return this.#fail(msg.requestId, "expected HELLO first");
    const version = u16Of(msg, Tag.VERSION);
    const agree = version === PROTOCOL_VERSION;
    const proof = agree ? this.#proofFields(msg) : [];
    if (proof === null) return this.#fail(msg.requestId, "HELLO without NONCE");
    this.#write(
      encodeFrame({
        kind: Kind.HELLO | ANSWER_BIT,
        requestId: msg.requestId,
        fields: [
          u8Field(Tag.STATUS, agree ? Status.GRANTED : Status.DENIED),
          u16Field(Tag.VERSION, PROTOCOL_VERSION),
          ...proof,
          ...(agree ? [] : [textField(Tag.REASON, `protocol version ${version} not supported (worker speaks ${PROTOCOL_VERSION})`)]),
        ],
      }),
    );
    if (!agree) {
      this.#options.logger.warn("ANP0622", `connection from ${this.#options.peer}: protocol version ${version} refused`);
      this.#failed = true;
      this.#requests.abort(new Error("protocol version refused"));
      this.#closeAfterFlush();
      return;
    }
    this.#greeted = true;
  }

  /** The frame after HELLO, with a key: AUTH with the right PROOF, or the connection closes unanswered. */
  #onAuth(msg: Message): void {
    const expected = this.#expectedAuth as Buffer;
    const proof = msg.kind === Kind.AUTH ? firstField(msg, Tag.PROOF)?.value : undefined;
    if (!proofMatches(expected, proof)) {
      const why = msg.kind === Kind.AUTH ? "wrong PROOF in AUTH" : `kind 0x${msg.kind.toString(16)} instead of AUTH`;
      return this.#fail(msg.requestId, why);
    }
    this.#expectedAuth = null;
  }

  #run(req: WorkerRequest, msg: Message): void {
    this.#inFlight.add(req.requestId);
    this.#updateFlow();
    const budget = requestBudget(this.#options.timeoutMs, req.timeoutMs);
    const pending = new PendingRequest(this.#requests, budget, this.#onOverdue, req, msg);
    // A request that starts over (no time left, or the connection is gone) never reaches its handler:
    // #onOverdue answers it.
    if (!pending.aborted) void this.#execute(pending);
  }

  async #execute(pending: PendingRequest): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.#dispatcher.dispatch(pending.req, pending);
    } catch (err) {
      answer = failureAnswer(err, pending.req);
    }
    // false: the deadline passed or the connection went away first; #onOverdue answered, and this
    // result (perhaps a grant) is dropped.
    if (pending.finish()) this.#complete(pending, answer);
  }

  /** Runs once per request, answered or dropped: wipes the password bytes and sends the answer. */
  #complete(pending: PendingRequest, answer: Answer): void {
    const req = pending.req;
    wipePasswords(pending.msg);
    this.#inFlight.delete(req.requestId);
    this.#log(req, answer, pending.started);
    if (!this.#requests.aborted) this.#send(req.kind, req.requestId, answer);
    this.#drainBacklog();
    this.#endIfIdle();
  }

  #log(req: WorkerRequest, answer: Answer, started: number): void {
    const { logger } = this.#options;
    const level = answer.status === Status.ERROR ? "error" : "debug";
    if (!logger.enabled(level)) return;
    const ms = performance.now() - started;
    const who = req.user !== null ? ` user=${JSON.stringify(req.user.text)}` : req.host !== null ? ` host=${JSON.stringify(req.host)}` : "";
    const status = STATUS_NAMES[answer.status] ?? String(answer.status);
    // answer.reason is a fixed wording and a code (failureAnswer): no message of a handler or driver.
    const reason = answer.reason !== undefined ? `: ${answer.reason}` : "";
    const line = `${OPERATION_NAMES[req.kind]}${who} handler=${this.#dispatcher.describeHandler(req.handlerId)} -> ${status}${reason} (${ms.toFixed(1)} ms)`;
    if (level === "error") logger.error("ANP0623", line);
    else logger.debug("ANP0624", line);
  }

  #send(kind: number, requestId: number, answer: Answer): void {
    let frame: Buffer;
    try {
      frame = encodeAnswer(kind, requestId, answer);
    } catch (err) {
      // Too many or too long groups: an ERROR the module can read beats an answer it cannot.
      frame = encodeAnswer(kind, requestId, errorAnswer(`answer too large: ${(err as Error).message}`));
    }
    this.#write(frame);
  }

  #write(frame: Buffer): void {
    if (this.#socket.destroyed || !this.#socket.writable) return;
    if (!this.#socket.write(frame)) {
      this.#writeBlocked = true;
      this.#updateFlow();
    }
  }

  /** Back-pressure: stop reading while the module is not reading our answers or too much is in flight. */
  #updateFlow(): void {
    const shouldPause = this.#writeBlocked || this.#backlog.length > 0 || this.#inFlight.size >= this.#options.maxInFlight;
    if (shouldPause && !this.#readPaused) {
      this.#readPaused = true;
      this.#socket.pause();
    } else if (!shouldPause && this.#readPaused) {
      this.#readPaused = false;
      this.#socket.resume();
    }
  }

  #fail(requestId: number, reason: string): void {
    if (this.#unproven) return this.#refuseUnproven(reason);
    this.#options.logger.warn("ANP0625", `connection from ${this.#options.peer}: protocol error: ${reason}; closing`);
    this.#failed = true;
    this.#write(
      encodeFrame({
        kind: CONNECTION_ERROR_KIND | ANSWER_BIT,
        requestId,
        fields: [u8Field(Tag.STATUS, Status.ERROR), textField(Tag.REASON, `protocol error: ${reason}`.slice(0, 400))],
      }),
    );
    this.#requests.abort(new Error("protocol error"));
    this.#closeAfterFlush();
  }

  /**
   * A peer that has not proven the generation key gets no byte more (no ERROR either: nothing it could
   * tell apart), and whatever it sent is dropped unread.
   */
  #refuseUnproven(reason: string): void {
    noteHandshakeFailure(this.#options.logger, this.#options.peer, reason);
    this.#failed = true;
    this.#requests.abort(new Error("handshake failed"));
    this.#dropBacklog();
    this.#socket.destroy();
  }

  /** Sends what is queued, then closes even if the peer never closes its side (no half-open leftovers). */
  #closeAfterFlush(): void {
    this.#socket.end(() => this.#socket.destroy());
  }

  #endIfIdle(): void {
    if (this.#stopping && this.#inFlight.size === 0 && this.#backlog.length === 0 && !this.#socket.destroyed) this.#socket.end();
  }
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  [Status.GRANTED]: "GRANTED",
  [Status.DENIED]: "DENIED",
  [Status.USER_NOT_FOUND]: "USER_NOT_FOUND",
  [Status.ERROR]: "ERROR",
};
