// decodeRequest (src/worker/request.ts): one pass over a frame's fields into a WorkerRequest, ENV entries
// checked on arrival and decoded only when read; and RequestContext, the CheckContext handlers get.
import { afterEach, describe, expect, it, vi } from "vitest";
import { defineHandlerField, encodeFrame, FrameDecoder, Kind, ProtocolError, Tag, textField, u32Field, type Field, type Message } from "../../src/protocol/index.js";
import { DeadlineGroup, RequestDeadline } from "../../src/worker/deadline.js";
import { decodeEnviron } from "../../src/worker/environ.js";
import { RequestError } from "../../src/errors.js";
import { decodeRequest, RequestContext } from "../../src/worker/request.js";
import { countControllers } from "../support/abort-controllers.js";

const SPEC = "type=django\ndatabase=postgres://u:secret@db/site";
const ENV = ["REQUEST_METHOD=GET", "QUERY_STRING=a=1&b=2", "HTTP_AUTHORIZATION=Basic eA==", "HTTP_X_NAME=caf\u00e9"];

/** `msg` as the worker gets it: encoded, then decoded by the FrameDecoder (fields are FrameFields). */
function viaWire(msg: Message): Message {
  const [decoded] = new FrameDecoder().push(encodeFrame(msg));
  return decoded!;
}

function checkPassword(extra: Field[] = []): Message {
  return {
    kind: Kind.CHECK_PASSWORD,
    requestId: 42,
    fields: [
      defineHandlerField(3, SPEC),
      u32Field(Tag.HANDLER_ID, 3),
      ...ENV.map((e) => textField(Tag.ENV, e)),
      textField(Tag.USER, "j\u00f6rg"),
      { tag: Tag.PASSWORD, value: Buffer.from([0x73, 0xe9]) }, // "sé" in Latin-1: not UTF-8
      u32Field(Tag.TIMEOUT_MS, 2500),
      ...extra,
    ],
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("decodeRequest", () => {
  it("reads every field of a CHECK_PASSWORD, from the wire and from plain fields alike", () => {
    for (const msg of [checkPassword(), viaWire(checkPassword())]) {
      const req = decodeRequest(msg);
      expect(req.kind).toBe(Kind.CHECK_PASSWORD);
      expect(req.requestId).toBe(42);
      expect(req.handlerId).toBe(3);
      expect(req.groupHandlerId).toBeNull();
      expect(req.definitions).toEqual([{ id: 3, spec: SPEC }]);
      expect(req.user?.text).toBe("j\u00f6rg");
      expect(req.user?.bytes.toString("utf8")).toBe("j\u00f6rg");
      expect(req.password?.text).toBe("s\u00e9");
      expect([...req.password!.bytes]).toEqual([0x73, 0xe9]);
      expect(req.realm).toBeNull();
      expect(req.host).toBeNull();
      expect(req.groups).toEqual([]);
      expect(req.permissions).toEqual([]);
      expect(req.timeoutMs).toBe(2500);
    }
  });

  it("reads GROUP_HANDLER_ID, DEFINE_HANDLER, GROUP and PERMISSION fields in frame order", () => {
    const req = decodeRequest(
      viaWire(
        checkPassword([
          textField(Tag.GROUP, "staff"),
          textField(Tag.PERMISSION, "docs.view_doc"),
          u32Field(Tag.GROUP_HANDLER_ID, 1024),
          defineHandlerField(1024, "type=script\npath=/g.mjs"),
          textField(Tag.GROUP, "\u00e9quipe"),
          textField(Tag.PERMISSION, "docs.change_doc"),
        ]),
      ),
    );
    expect(req.groupHandlerId).toBe(1024);
    expect(req.definitions).toEqual([
      { id: 3, spec: SPEC },
      { id: 1024, spec: "type=script\npath=/g.mjs" },
    ]);
    expect(req.groups).toEqual(["staff", "\u00e9quipe"]);
    expect(req.permissions).toEqual(["docs.view_doc", "docs.change_doc"]);
  });

  it("reads REALM, HOST, and a request without TIMEOUT_MS", () => {
    const realm = decodeRequest(
      viaWire({ kind: Kind.GET_REALM_HASH, requestId: 1, fields: [u32Field(Tag.HANDLER_ID, 3), textField(Tag.USER, "u"), textField(Tag.REALM, "Private")] }),
    );
    expect(realm.realm).toBe("Private");
    expect(realm.timeoutMs).toBeNull();
    expect(realm.password).toBeNull();
    const access = decodeRequest(viaWire({ kind: Kind.ALLOW_ACCESS, requestId: 2, fields: [u32Field(Tag.HANDLER_ID, 3), textField(Tag.HOST, "10.0.0.1")] }));
    expect(access.host).toBe("10.0.0.1");
    expect(access.user).toBeNull();
  });

  it("takes the first of a single field given twice (a hand-built message; the codec refuses such frames)", () => {
    const req = decodeRequest({ ...checkPassword(), fields: [...checkPassword().fields, textField(Tag.USER, "mallory"), u32Field(Tag.HANDLER_ID, 9)] });
    expect(req.user?.text).toBe("j\u00f6rg");
    expect(req.handlerId).toBe(3);
  });

  it("has an empty environ, and no definitions, when the frame carries no ENV and no DEFINE_HANDLER (what a Django request looks like)", () => {
    for (const msg of [
      { kind: Kind.GROUPS_FOR_USER, requestId: 1, fields: [u32Field(Tag.HANDLER_ID, 2), textField(Tag.USER, "u")] },
      viaWire({ kind: Kind.GROUPS_FOR_USER, requestId: 1, fields: [u32Field(Tag.HANDLER_ID, 2), textField(Tag.USER, "u")] }),
    ]) {
      const req = decodeRequest(msg);
      expect(req.environ).toEqual({});
      expect(req.definitions).toEqual([]);
    }
  });

  it("refuses a bad ENV entry on arrival, with checkEnviron's words, and a missing HANDLER_ID first", () => {
    for (const wire of [false, true]) {
      const withEnv = (entry: string): Message => {
        const msg = checkPassword([textField(Tag.ENV, entry)]);
        return wire ? viaWire(msg) : msg;
      };
      expect(() => decodeRequest(withEnv("NOEQUALS"))).toThrow(new RequestError("ENV entry without '='"));
      expect(() => decodeRequest(withEnv("=value"))).toThrow(new RequestError("ENV entry with an empty key"));
      expect(() => decodeRequest(withEnv("A="))).not.toThrow();
      expect(() => decodeEnviron([Buffer.from("NOEQUALS")])).toThrow("ENV entry without '='");
    }
    const noHandler = { ...checkPassword([textField(Tag.ENV, "NOEQUALS")]) };
    const fields = noHandler.fields.filter((f) => f.tag !== Tag.HANDLER_ID);
    expect(() => decodeRequest({ ...noHandler, fields })).toThrow(new RequestError("missing HANDLER_ID"));
    expect(() => decodeRequest({ ...checkPassword(), kind: Kind.HELLO })).toThrow(/is not a request/);
    expect(() => decodeRequest({ ...checkPassword(), fields: [...checkPassword().fields.filter((f) => f.tag !== Tag.TIMEOUT_MS), { tag: Tag.TIMEOUT_MS, value: Buffer.alloc(3) }] })).toThrow(
      ProtocolError,
    );
  });

  it("decodes the environ on first read only, once, as decodeEnviron does (withheld keys left out)", () => {
    const msg = viaWire(checkPassword());
    const req = decodeRequest(msg);
    const environ = req.environ;
    expect(environ).toEqual(decodeEnviron(ENV.map((e) => Buffer.from(e, "utf8"))));
    expect(environ).toEqual({ REQUEST_METHOD: "GET", QUERY_STRING: "a=1&b=2", HTTP_X_NAME: "caf\u00e9" });
    expect(req.environ).toBe(environ);
  });

  it("two requests never share their GROUP or PERMISSION lists", () => {
    const a = decodeRequest(viaWire(checkPassword([textField(Tag.GROUP, "a")])));
    const b = decodeRequest(viaWire(checkPassword([textField(Tag.GROUP, "b")])));
    expect(a.groups).toEqual(["a"]);
    expect(b.groups).toEqual(["b"]);
    const none = decodeRequest(viaWire(checkPassword()));
    expect(Object.isFrozen(none.groups) && Object.isFrozen(none.permissions)).toBe(true);
  });
});

describe("RequestContext", () => {
  it("reads the environ through to the request, and makes the request's AbortSignal only when read", () => {
    const count = countControllers();
    const req = decodeRequest(viaWire(checkPassword()));
    const deadline = new RequestDeadline(new DeadlineGroup(), 60_000, () => {});
    const ctx = new RequestContext(req, deadline, "alice", Buffer.from("alice"));
    expect(ctx.user).toBe("alice");
    expect(ctx.userBytes.toString()).toBe("alice");
    expect(ctx.environ).toBe(req.environ);
    expect(count.made).toBe(0);
    const signal = ctx.signal;
    expect(count.made).toBe(1);
    expect(signal).toBe(deadline.signal);
    expect(new RequestContext(req, deadline, "bob", Buffer.from("bob")).signal).toBe(signal);
    expect(deadline.finish()).toBe(true);
    const plain = new AbortController().signal;
    expect(new RequestContext(req, plain, "alice", Buffer.from("alice")).signal).toBe(plain);
  });
});
