// A deliberately raw HTTP/1.0 client: the tests and the demo's --check must be able to send
// Authorization headers that fetch() would refuse or rewrite (bare "Basic", non-ASCII bytes),
// and HTTP/1.0 keeps Apache from chunking the answer, so the body is the bytes after the headers.
import { connect } from "node:net";
import { HttpRequestError } from "../errors.js";

export type HeaderValue = string | Buffer;

export interface HttpRequest {
  readonly port: number;
  readonly host?: string;
  readonly path: string;
  readonly method?: string;
  /** Sent in this order, as given; a Buffer value goes out byte for byte. */
  readonly headers?: ReadonlyArray<readonly [string, HeaderValue]>;
  /** Sent after the headers, with its Content-Length (a form the demo's check posts to Django's login page). */
  readonly body?: string;
  /** Give up when the connection is idle this long (default 120 s): a hung server must not hang us. */
  readonly idleLimitMs?: number;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  /** Every Set-Cookie header, in order (Django's login sets the session and a new CSRF cookie at once). */
  readonly setCookies: readonly string[];
  readonly body: string;
}

export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

export function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const host = request.host ?? "127.0.0.1";
  const head: Buffer[] = [Buffer.from(`${request.method ?? "GET"} ${request.path} HTTP/1.0\r\nHost: ${host}:${request.port}\r\n`, "latin1")];
  for (const [name, value] of request.headers ?? []) {
    head.push(Buffer.from(`${name}: `, "latin1"), typeof value === "string" ? Buffer.from(value, "latin1") : value, Buffer.from("\r\n"));
  }
  const body = request.body === undefined ? null : Buffer.from(request.body, "utf8");
  if (body) head.push(Buffer.from(`Content-Length: ${body.length}\r\n`, "latin1"));
  head.push(Buffer.from("\r\n"));
  if (body) head.push(body);

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port: request.port });
    socket.setTimeout(request.idleLimitMs ?? 120_000, () =>
      socket.destroy(new HttpRequestError(`no answer to ${request.path} on port ${request.port} for ${request.idleLimitMs ?? 120_000} ms`)),
    );
    socket.on("connect", () => socket.end(Buffer.concat(head)));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (err) =>
      reject(err instanceof HttpRequestError ? err : new HttpRequestError(`request ${request.path} on port ${request.port} failed: ${err.message}`, { cause: err })),
    );
    socket.on("close", (hadError) => {
      if (hadError) return;
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function parseResponse(raw: Buffer): HttpResponse {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) throw new HttpRequestError(`incomplete HTTP response (${raw.length} bytes)`);
  const lines = raw.subarray(0, end).toString("latin1").split("\r\n");
  const match = /^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? "");
  if (!match?.[1]) throw new HttpRequestError(`bad status line: ${JSON.stringify(lines[0])}`);
  const headers: Record<string, string> = {};
  const setCookies: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] = line.slice(colon + 1).trim();
    if (name === "set-cookie") setCookies.push(headers[name]);
  }
  return { status: Number(match[1]), headers, setCookies, body: raw.subarray(end + 4).toString("utf8") };
}
