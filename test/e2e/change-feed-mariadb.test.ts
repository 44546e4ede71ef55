// Change-driven invalidation through Apache on a real MariaDB 10.11 server (change-feed-suite.ts): the
// triggers fill the change table, the worker's feed polls it (change_feed_poll_ms, default 10 ms).
import mysql from "mysql2/promise";
import { afterAll, beforeAll } from "vitest";
import { nodeModuleBuilt } from "../harness/apache.js";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
import { describeRequiring } from "../support/optional.js";
import { defineInvalidationSuite } from "./change-feed-suite.js";

let server: MariaDBServer | undefined;

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("MariaDB", () => {
  beforeAll(async () => {
    server = await startMariaDB();
  }, 120_000);
  afterAll(async () => {
    await server?.cleanup();
  });

  defineInvalidationSuite({
    label: "MariaDB 10.11",
    databaseUrl: () => server!.url,
    openWriter: async () => {
      const connection = await mysql.createConnection({ host: "127.0.0.1", port: server!.port, user: server!.user, database: server!.database });
      connection.on("error", () => {});
      return {
        exec: async (sql, params) => {
          await connection.query(sql, params as unknown[]);
        },
        query: async (sql, params) => (await connection.query(sql, params as unknown[]))[0] as Array<Record<string, unknown>>,
        transaction: async (statements) => {
          await connection.beginTransaction();
          try {
            for (const [sql, params] of statements) await connection.query(sql, params as unknown[]);
            await connection.commit();
          } catch (error) {
            await connection.rollback();
            throw error;
          }
        },
        close: () => connection.end(),
      };
    },
  });
});
