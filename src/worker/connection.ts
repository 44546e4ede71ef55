// One module connection: the HELLO handshake, then any number of requests, each dispatched at once and
// answered when its handler finishes, so answers go out in completion order, matched by request id.
// A frame that breaks the protocol is answered with ERROR and the connection is closed: once framing is
// in doubt nothing later on the stream can be trusted. Every request in flight then fails on the module side.
import type { Socket } from "node:net";
import { ANSWER_BIT, Kind, PROTOCOL_VERSION, Status, Tag } from "../protocol/constants.js";
import { FrameDecoder, encodeFrame } from "../protocol/codec.js";
import { ProtocolError } from "../protocol/errors.js";
import { u16Field, u16Of, u8Field, textField, wipePasswords } from "../protocol/fields.js";
import type { Message } from "../protocol/message.js";
import { answerMessage, errorAnswer, type Answer } from "./answer.js";
import { requestBudget, withDeadline } from "./deadline.js";
import { failureAnswer, type Dispatcher } from "./dispatcher.js";
import { DeadlineError, RequestError, ShuttingDownError } from "./errors.js";
import type { Logger } from "./log.js";
import { OPERATION_NAMES, decodeRequest, isRequestKind, type WorkerRequest } from "./request.js";

export interface ConnectionOptions {
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  /** --timeout-ms: the longest any request may take. */
  readonly timeoutMs: number;
  /** Requests in flight at which reading pauses until some are answered. */
  readonly maxInFlight: number;
  /** Short text naming the handler of a spec, for log lines (never the spec itself: it may hold a DB password). */
  readonly describeHandler: (specText: string) => string;
  /** For log lines: who is on the other end (e.g. "uid 33 pid 1234"). */
  readonly peer: string;
}

/** The connection-level error answer: HELLO's answer kind, as it is valid in every state. */
const CONNECTION_ERROR_KIND = Kind.HELLO;

export class Connection {
  readonly #socket: Socket;
  readonly #options: ConnectionOptions;
  readonly #decoder = new FrameDecoder();
  /** Aborted when the connection goes away: every handler call in flight sees it. */
  readonly #gone = new AbortController();
  readonly #inFlight = new Set<number>();
  /** Frames read but not dispatched yet, because maxInFlight requests are running; read order is kept. */
  #backlog: Message[] = [];
  #greeted = false;
  #failed = false;
  #stopping = false;
  #writeBlocked = false;
  #readPaused = false;
  readonly #closed: Promise<void>;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("drain", () => {
      this.#writeBlocked = false;
      this.#updateFlow();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // EPIPE/ECONNRESET: the module went away; its requests are failed on its side already.
      options.logger.debug(`connection from ${options.peer}: ${err.code ?? err.message}`);
    });
    socket.on("close", () => {
      this.#gone.abort(new Error("connection closed"));
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
    this.#gone.abort(new ShuttingDownError());
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#failed) return;
    let messages: Message[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (err) {
      const pe = err instanceof ProtocolError ? err : new ProtocolError("E_MALFORMED", String(err));
      this.#fail(pe.requestId, `${pe.code}: ${pe.message}`);
      return;
    }
    this.#backlog.push(...messages);
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
    this.#run(req, () => wipePasswords(msg));
  }

  #onHello(msg: Message): void {
    if (msg.kind !== Kind.HELLO) return this.#fail(msg.requestId, "expected HELLO first");
    const version = u16Of(msg, Tag.VERSION);
    const agree = version === PROTOCOL_VERSION;
    this.#write(
      encodeFrame({
        kind: Kind.HELLO | ANSWER_BIT,
        requestId: msg.requestId,
        fields: [
          u8Field(Tag.STATUS, agree ? Status.GRANTED : Status.DENIED),
          u16Field(Tag.VERSION, PROTOCOL_VERSION),
          ...(agree ? [] : [textField(Tag.REASON, `protocol version ${version} not supported (worker speaks ${PROTOCOL_VERSION})`)]),
        ],
      }),
    );
    if (!agree) {
      this.#options.logger.warn(`connection from ${this.#options.peer}: protocol version ${version} refused`);
      this.#failed = true;
      this.#gone.abort(new Error("protocol version refused"));
      this.#closeAfterFlush();
      return;
    }
    this.#greeted = true;
  }

  /** `done` runs once the request is answered (or dropped): it wipes the password bytes. */
  #run(req: WorkerRequest, done: () => void): void {
    const { dispatcher, timeoutMs } = this.#options;
    const started = process.hrtime.bigint();
    this.#inFlight.add(req.requestId);
    this.#updateFlow();
    const budget = requestBudget(timeoutMs, req.timeoutMs);
    withDeadline(budget, this.#gone.signal, () => new DeadlineError(), (signal) => dispatcher.dispatch(req, signal))
      .catch((err: unknown) => failureAnswer(err, req))
      .then((answer) => {
        done();
        this.#inFlight.delete(req.requestId);
        this.#log(req, answer, started);
        if (!this.#gone.signal.aborted) this.#send(req.kind, req.requestId, answer);
        this.#drainBacklog();
        this.#endIfIdle();
      });
  }

  #log(req: WorkerRequest, answer: Answer, started: bigint): void {
    const { logger } = this.#options;
    const level = answer.status === Status.ERROR ? "error" : "debug";
    if (!logger.enabled(level)) return;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const who = req.user !== null ? ` user=${JSON.stringify(req.user.text)}` : req.host !== null ? ` host=${JSON.stringify(req.host)}` : "";
    const status = STATUS_NAMES[answer.status] ?? String(answer.status);
    // answer.reason is already scrubbed of the password by failureAnswer.
    const reason = answer.reason !== undefined ? `: ${answer.reason}` : "";
    const line = `${OPERATION_NAMES[req.kind]}${who} handler=${this.#options.describeHandler(req.handlerSpec)} -> ${status}${reason} (${ms.toFixed(1)} ms)`;
    if (level === "error") logger.error(line);
    else logger.debug(line);
  }

  #send(kind: number, requestId: number, answer: Answer): void {
    let frame: Buffer;
    try {
      frame = encodeFrame(answerMessage(kind, requestId, answer));
    } catch (err) {
      // Too many or too long groups: an ERROR the module can read beats an answer it cannot.
      frame = encodeFrame(answerMessage(kind, requestId, errorAnswer(`answer too large: ${(err as Error).message}`)));
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
    this.#options.logger.warn(`connection from ${this.#options.peer}: protocol error: ${reason}; closing`);
    this.#failed = true;
    this.#write(
      encodeFrame({
        kind: CONNECTION_ERROR_KIND | ANSWER_BIT,
        requestId,
        fields: [u8Field(Tag.STATUS, Status.ERROR), textField(Tag.REASON, `protocol error: ${reason}`.slice(0, 400))],
      }),
    );
    this.#gone.abort(new Error("protocol error"));
    this.#closeAfterFlush();
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
