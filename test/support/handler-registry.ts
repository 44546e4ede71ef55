// A HandlerRegistry whose `type=script` specs resolve to in-memory test handlers by their `path`, for
// dispatcher tests that need no script files.
import { HandlerRegistry } from "../../src/handlers/registry.js";
import type { Handler, HandlerSpec } from "../../src/handlers/types.js";

export function registryOf(handlers: Record<string, Handler>): HandlerRegistry {
  return new HandlerRegistry({
    factories: {
      script: (spec: HandlerSpec) => {
        const handler = handlers[spec["path"] ?? ""];
        if (!handler) throw new Error(`no test handler ${spec["path"]}`);
        return handler;
      },
    },
  });
}
