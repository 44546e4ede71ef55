// Typed errors of the worker. Each carries a stable `code` so callers branch on it, not on messages.

/** A bad command-line flag or config-file key; the worker exits with status 2 and names it. */
export class WorkerConfigError extends Error {
  readonly code = "ERR_ANP_CONFIG";
  /** The flag or config key at fault, e.g. `--socket-mode` or `config:timeoutMs`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = "WorkerConfigError";
    this.option = option;
  }
}

/** A request whose fields break the protocol (missing, repeated, or badly sized); the connection is closed. */
export class RequestError extends Error {
  readonly code = "ERR_ANP_REQUEST";
  constructor(message: string) {
    super(message);
    this.name = "RequestError";
  }
}

/** The request's deadline passed before its handler answered. */
export class DeadlineError extends Error {
  readonly code = "ERR_ANP_DEADLINE";
  constructor() {
    super("deadline exceeded");
    this.name = "DeadlineError";
  }
}

/** The worker is stopping and answers nothing new. */
export class ShuttingDownError extends Error {
  readonly code = "ERR_ANP_SHUTTING_DOWN";
  constructor() {
    super("worker shutting down");
    this.name = "ShuttingDownError";
  }
}

/** An answer that does not fit in one frame (e.g. thousands of groups). */
export class AnswerTooLargeError extends Error {
  readonly code = "ERR_ANP_ANSWER_TOO_LARGE";
  constructor(detail: string) {
    super(`answer too large: ${detail}`);
    this.name = "AnswerTooLargeError";
  }
}
