// The native addon: SO_PEERCRED for the worker and the C codec for tests.
export * from "./addon.js";
