// The wire protocol: constants, message types, codec, field helpers and message rules.
export * from "./constants.js";
export * from "../errors.js";
export * from "./message.js";
export * from "./codec.js";
export * from "./fields.js";
export * from "./rules.js";
