// The Django handler's change_feed options: the spec keys parsed (config.ts), change_feed on refused with a row
// cache, and refused in a worker that has no generations table (changeTracker null), while a spec only being
// checked (no tracker given: check-specs, configtest) is accepted and starts nothing.
import { describe, expect, it } from "vitest";
import { parseDjangoSpec } from "../../src/django/config.js";
import { createDjangoHandler } from "../../src/django/handler.js";

const base = { type: "django", database: "sqlite:///nonexistent/anp-change-feed-options.sqlite3" };

async function verdict(spec: Record<string, string>, changeTracker?: null): Promise<string | null> {
  try {
    const handler = createDjangoHandler(spec, { log: () => {}, ...(changeTracker === null && { changeTracker }) });
    await handler.close();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

describe("change_feed and change_feed_poll_ms", () => {
  it("default to off and 10 ms, and parse on/off and 1..1000", () => {
    expect(parseDjangoSpec(base)).toMatchObject({ changeFeed: false, changeFeedPollMs: 10 });
    expect(parseDjangoSpec({ ...base, change_feed: "on", change_feed_poll_ms: "1000" })).toMatchObject({ changeFeed: true, changeFeedPollMs: 1000 });
    expect(() => parseDjangoSpec({ ...base, change_feed_poll_ms: "0" })).toThrow(/change_feed_poll_ms: expected an integer from 1 to 1000/);
    expect(() => parseDjangoSpec({ ...base, change_feed: "yes" })).toThrow(/change_feed: expected on or off/);
  });

  it("change_feed on with row_cache_seconds above 0 is a configuration error; 0 is fine", async () => {
    expect(await verdict({ ...base, change_feed: "on", row_cache_seconds: "5" })).toMatch(/^django handler: change_feed: cannot be on with row_cache_seconds above 0/);
    expect(await verdict({ ...base, change_feed: "on", row_cache_seconds: "0" })).toBeNull();
    expect(await verdict({ ...base, change_feed: "off", row_cache_seconds: "5" })).toBeNull();
  });

  it("change_feed on in a worker without a generations table refuses to start, with the reason", async () => {
    expect(await verdict({ ...base, change_feed: "on" }, null)).toBe(
      "django handler: change_feed: needs the generations table httpd's module gives the worker (--generations-fd); this worker has none",
    );
    expect(await verdict({ ...base, change_feed: "off" }, null)).toBeNull();
    // Only checked (no tracker given at all): accepted, as configtest must accept what the module will serve.
    expect(await verdict({ ...base, change_feed: "on" })).toBeNull();
  });
});
