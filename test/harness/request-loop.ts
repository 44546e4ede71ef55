// A client that asks one URL again and again on one keep-alive connection, as fast as the server answers,
// and keeps every answer's status with the time it arrived (performance.now()). The change feed's tests
// commit a change while it runs and read, from these answers, when the first refusal came.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { basicAuthorization } from "../../src/demo/http-request.js";

export interface LoopAnswer {
  readonly at: number;
  readonly status: number;
}

export class RequestLoop {
  readonly answers: LoopAnswer[] = [];
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  #running = true;
  readonly #done: Promise<void>;
  #failure: Error | undefined;

  constructor(port: number, path: string, user: string, password: string) {
    const headers = { Authorization: basicAuthorization(user, password), Host: `127.0.0.1:${port}` };
    this.#done = (async () => {
      while (this.#running) {
        try {
          const status = await get(this.#agent, port, path, headers);
          this.answers.push({ at: performance.now(), status });
        } catch (error) {
          this.#failure = error as Error;
          this.#running = false;
        }
      }
    })();
  }

  /** The first answer that arrived after `since` and satisfies `match`, or undefined. */
  firstAfter(since: number, match: (status: number) => boolean): LoopAnswer | undefined {
    // Answers arrive in time order: search from the end for the first one after `since`.
    let index = this.answers.length;
    while (index > 0 && (this.answers[index - 1] as LoopAnswer).at > since) index--;
    return this.answers.slice(index).find((answer) => match(answer.status));
  }

  /** How many answers in a row, counted back from the newest, had `status`. */
  trailing(status: number): number {
    let n = 0;
    for (let i = this.answers.length - 1; i >= 0 && (this.answers[i] as LoopAnswer).status === status; i--) n++;
    return n;
  }

  /** Stops after the request in flight; rejects with the loop's own failure (a refused connection, say). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
    this.#agent.destroy();
    if (this.#failure) throw this.#failure;
  }
}

function get(agent: Agent, port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent, headers }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
      res.once("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${path} on port ${port} within 30 s`)));
    req.once("error", reject);
    req.end();
  });
}
