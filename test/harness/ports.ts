// Free TCP ports for the servers the tests start. The kernel picks an unused ephemeral port; another
// process could take it between our close() and the server's bind(), which the harnesses detect
// (the server exits) and report, rather than silently talking to somebody else's server.
import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("freePort: no TCP address"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
