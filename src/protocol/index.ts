// The wire protocol: constants, message types, codec, field helpers and message rules (and the codec's
// error, which lives with every other error class in src/errors.ts).
export * from "./constants.js";
export { ProtocolError, type ProtocolErrorCode } from "../errors.js";
export * from "./message.js";
export * from "./codec.js";
export * from "./fields.js";
export * from "./rules.js";
export * from "./admin.js";
