// PostgreSQL as the benches reach it: over its Unix socket, as a Django site on the same host does
// (Debian's /var/run/postgresql), which costs the worker less per query than TCP to 127.0.0.1.
import { chmodSync } from "node:fs";
import { dirname } from "node:path";
import type { PostgresServer } from "../../test/harness/postgres.js";

/**
 * The socket URL of a throwaway cluster, after making its private socket directory traversable for the
 * worker's user (www-data); the socket file itself is 0777 by PostgreSQL's default. Bench use only.
 */
export function socketUrlForWorker(pg: PostgresServer): string {
  chmodSync(dirname(pg.socketDir), 0o711);
  chmodSync(pg.socketDir, 0o755);
  return pg.socketUrl;
}
