// The database-failure tests shared by django-postgres/-mariadb.test.ts: a server that hangs (SIGSTOP)
// answers timeout errors, a server that is killed answers errors (never "no such user"), and the handler
// is used again once the server answers. Defined inside the caller's describe(), whose oracle has created
// the user "survivor" (password "still-here", group "staff", permission auth.view_user).
import { expect, it } from "vitest";
import { DjangoHandler } from "../../src/django/handler.js";
import { DatabaseError, DatabaseTimeoutError } from "../../src/errors.js";
import type { DjangoOracle } from "../harness/django.js";
import { context, testHasherOptions } from "./django-compare.js";

/** What the tests do to the database server (both harnesses' servers have these). */
export interface FailingServer {
  readonly url: string;
  suspend(): void;
  resume(): void;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface ServerFailureOptions {
  readonly server: () => FailingServer;
  readonly oracle: () => DjangoOracle;
  /** The database compares case-insensitively: the wrong-password check after the restart spells the name in capitals. */
  readonly caseInsensitive?: boolean;
}

/** Defines the hang and kill tests; the kill test leaves the server restarted. */
export function defineServerFailureTests(options: ServerFailureOptions): void {
  it("answers timeout errors while the server hangs (SIGSTOP), and recovers when it answers again", async () => {
    const server = options.server();
    const handler = new DjangoHandler({ database: server.url, hasherOptions: testHasherOptions(), poolSize: 2, queryTimeoutMs: 1000 });
    try {
      // One idle pooled connection exists when the server stops: requests meet both a silent open
      // connection (query timeout) and connection attempts that get no handshake (connect timeout).
      expect(await handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
      server.suspend();
      let outcomes: PromiseSettledResult<unknown>[];
      try {
        outcomes = await Promise.allSettled([
          handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here")),
          handler.checkPassword(context("nobody"), "x", Buffer.from("x")),
          handler.groupsForUser(context("survivor")),
        ]);
      } finally {
        server.resume();
      }
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(DatabaseTimeoutError);
      }
      expect(await handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
      expect(await handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).toEqual({ kind: "not_found" });
      expect(await handler.groupsForUser(context("survivor"))).toEqual(["staff"]);
    } finally {
      await handler.close();
    }
  });

  it("answers errors, never 'no such user', while the server is killed, and recovers after restart", async () => {
    const server = options.server();
    const oracle = options.oracle();
    const handler = new DjangoHandler({ database: server.url, hasherOptions: testHasherOptions(), poolSize: 4, queryTimeoutMs: 3000 });
    try {
      expect(await handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
      expect(await handler.groupsForUser(context("survivor"))).toEqual(["staff"]);

      // Checks in flight while the server dies: each one is either answered correctly or fails.
      const inFlight = Array.from({ length: 40 }, () => handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here")));
      const settled = Promise.allSettled(inFlight); // handled before any of them can reject
      await server.kill();
      for (const outcome of await settled) {
        if (outcome.status === "fulfilled") expect(outcome.value).toEqual({ kind: "granted" });
        else expect(outcome.reason).toBeInstanceOf(DatabaseError);
      }

      for (let attempt = 0; attempt < 3; attempt++) {
        await expect(handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).rejects.toBeInstanceOf(DatabaseError);
        await expect(handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).rejects.toBeInstanceOf(DatabaseError);
        await expect(handler.groupsForUser(context("survivor"))).rejects.toBeInstanceOf(DatabaseError);
        await expect(handler.hasPermission(context("survivor"), ["auth.view_user"])).rejects.toBeInstanceOf(DatabaseError);
      }

      await server.restart();
      // What was committed before the kill is still there (the handler is then held to the same answer).
      expect(await oracle.checkPassword("survivor", "still-here")).toBe(true);
      expect(await handler.checkPassword(context("survivor"), "still-here", Buffer.from("still-here"))).toEqual({ kind: "granted" });
      const wrongName = options.caseInsensitive ? "SURVIVOR" : "survivor";
      expect(await handler.checkPassword(context(wrongName), "wrong", Buffer.from("wrong"))).toEqual({ kind: "denied" });
      expect(await handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).toEqual({ kind: "not_found" });
      expect(await handler.groupsForUser(context("survivor"))).toEqual(await oracle.groupsForUser("survivor"));
      expect(await handler.hasPermission(context("survivor"), ["auth.view_user"])).toBe(await oracle.hasPerm("survivor", "auth.view_user"));
    } finally {
      await handler.close();
    }
  });
}
