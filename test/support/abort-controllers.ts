// Counts the AbortControllers made from now on, for tests that prove the worker makes a request's
// AbortSignal only when someone reads it. Undo with vi.unstubAllGlobals() (the tests do, in afterEach).
import { vi } from "vitest";

export function countControllers(): { made: number } {
  const count = { made: 0 };
  vi.stubGlobal(
    "AbortController",
    class extends AbortController {
      constructor() {
        super();
        count.made++;
      }
    },
  );
  return count;
}
