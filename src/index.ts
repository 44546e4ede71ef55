// Package root of mod-authnz-node: the parts usable as a library.
export * from "./django/hashers/index.js";
