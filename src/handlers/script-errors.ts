// Errors of mod_wsgi-style script handlers. Each becomes an ERROR answer; the message is the reason.

/** The script could not be found, read or evaluated. */
export class ScriptLoadError extends Error {
  readonly code = "ERR_ANP_SCRIPT_LOAD";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ScriptLoadError";
  }
}

/** The script does not export the function an operation needs. */
export class ScriptMissingFunctionError extends Error {
  readonly code = "ERR_ANP_SCRIPT_MISSING";
  constructor(readonly functionName: string) {
    super(`script exports no ${functionName}`);
    this.name = "ScriptMissingFunctionError";
  }
}

/** The script's function threw (or its promise rejected). */
export class ScriptThrewError extends Error {
  readonly code = "ERR_ANP_SCRIPT_THREW";
  constructor(functionName: string, cause: unknown) {
    super(`${functionName} threw: ${describeThrown(cause)}`, { cause });
    this.name = "ScriptThrewError";
  }
}

/** The script's function returned something its contract does not allow (mod_wsgi: a TypeError, 500). */
export class ScriptResultError extends Error {
  readonly code = "ERR_ANP_SCRIPT_RESULT";
  constructor(functionName: string, expected: string, got: unknown, what = "returned") {
    super(`${functionName} ${what} ${describeValue(got)}, expected ${expected}`);
    this.name = "ScriptResultError";
  }
}

function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return describeValue(thrown);
}

/** A value's kind, never its content: a wrong return value may be the password itself. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (Buffer.isBuffer(value)) return "a Buffer";
  const type = typeof value;
  if (type === "object") return `an object (${(value as object).constructor?.name ?? "no prototype"})`;
  return `a ${type}`;
}
