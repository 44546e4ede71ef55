// The native addon: SO_PEERCRED and crypt(3) for the worker, and the C codec for tests.
export * from "./addon.js";
