// encodeAnswer (src/worker/answer.ts) writes an answer frame directly; it must give exactly the bytes of
// encodeFrame(answerMessage(...)), and throw exactly its errors, for every answer.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeFrame, Kind, MAX_FIELD_LEN, ProtocolError, Status } from "../../src/protocol/index.js";
import { answerMessage, encodeAnswer, errorAnswer, type Answer } from "../../src/worker/answer.js";

type Outcome = { bytes: string } | { error: string; code: string };

function outcome(fn: () => Buffer): Outcome {
  try {
    return { bytes: fn().toString("hex") };
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return { error: (err as ProtocolError).message, code: (err as ProtocolError).code };
  }
}

function expectSame(kind: number, requestId: number, answer: Answer): void {
  const general = outcome(() => encodeFrame(answerMessage(kind, requestId, answer)));
  expect(outcome(() => encodeAnswer(kind, requestId, answer))).toEqual(general);
}

const REQUEST_KINDS = [Kind.CHECK_PASSWORD, Kind.GROUPS_FOR_USER, Kind.HAS_PERMISSION, Kind.GET_REALM_HASH, Kind.ALLOW_ACCESS, Kind.HELLO];

describe("encodeAnswer", () => {
  it("writes the answers the worker gives, byte for byte as encodeFrame(answerMessage())", () => {
    const answers: [number, Answer][] = [
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED }],
      [Kind.CHECK_PASSWORD, { status: Status.DENIED }],
      [Kind.CHECK_PASSWORD, { status: Status.USER_NOT_FOUND }],
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED, user: "renamed \u00e9" }],
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED, groups: ["staff", "\u00e9quipe"], permissions: ["docs.view_doc"] }],
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED, groups: [], permissions: [] }],
      [Kind.CHECK_PASSWORD, errorAnswer("deadline exceeded")],
      [Kind.CHECK_PASSWORD, errorAnswer("x".repeat(1000))],
      [Kind.CHECK_PASSWORD, errorAnswer("\u00e9\ud83d\ude00".repeat(300))],
      [Kind.CHECK_PASSWORD, { status: Status.ERROR, reason: "" }],
      [Kind.GROUPS_FOR_USER, { status: Status.GRANTED, groups: ["a"] }],
      [Kind.HAS_PERMISSION, { status: Status.GRANTED }],
      [Kind.GET_REALM_HASH, { status: Status.GRANTED, hash: "0123456789abcdef0123456789abcdef" }],
      [Kind.ALLOW_ACCESS, { status: Status.USER_NOT_FOUND }],
      [Kind.HELLO, errorAnswer("protocol error: x")],
    ];
    for (const [kind, answer] of answers) {
      expectSame(kind, 7, answer);
      expect(encodeAnswer(kind, 7, answer).length).toBeGreaterThan(11);
    }
    expectSame(Kind.CHECK_PASSWORD, 0xffffffff, { status: Status.GRANTED });
  });

  it("throws the general path's error for answers that cannot be sent", () => {
    const cases: [number, Answer][] = [
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED, groups: Array.from({ length: 300 }, (_, i) => `g${i}`) }], // too many fields
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED, groups: ["g".repeat(MAX_FIELD_LEN + 1)] }], // one too long
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED, groups: Array.from({ length: 10 }, () => "g".repeat(7000)) }], // frame too large
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED, user: "u".repeat(MAX_FIELD_LEN + 1) }],
      [Kind.GET_REALM_HASH, { status: Status.GRANTED, hash: "0123456789ABCDEF0123456789abcdef" }],
      [Kind.GET_REALM_HASH, { status: Status.GRANTED, hash: "abc" }],
      [Kind.GROUPS_FOR_USER, { status: Status.GRANTED, user: "x" }], // USER is not in this answer
      [Kind.HAS_PERMISSION, { status: Status.GRANTED, groups: ["x"] }],
      [Kind.GROUPS_FOR_USER, { status: Status.GRANTED, permissions: ["x"] }],
      [Kind.CHECK_PASSWORD, { status: Status.GRANTED, hash: "0123456789abcdef0123456789abcdef" }],
      [Kind.CHECK_PASSWORD, { status: 9 as Status }],
      [Kind.CHECK_PASSWORD, { status: 0 as Status }],
      [0x7f, { status: Status.GRANTED }],
    ];
    for (const [kind, answer] of cases) {
      const general = outcome(() => encodeFrame(answerMessage(kind, 3, answer)));
      expect(general).toHaveProperty("error");
      expect(outcome(() => encodeAnswer(kind, 3, answer))).toEqual(general);
    }
  });

  it("agrees with the general path on arbitrary answers (fast-check)", () => {
    const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 20 }), fc.constant(""));
    const answer: fc.Arbitrary<Answer> = fc.record(
      {
        status: fc.integer({ min: 0, max: 5 }) as fc.Arbitrary<Status>,
        reason: text,
        user: text,
        groups: fc.array(text, { maxLength: 5 }),
        permissions: fc.array(text, { maxLength: 5 }),
        hash: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[0-9a-fA-F]{30,33}$/)),
      },
      { requiredKeys: ["status"] },
    );
    fc.assert(
      fc.property(fc.constantFrom(...REQUEST_KINDS), fc.integer({ min: 0, max: 0xffffffff }), answer, (kind, requestId, a) => {
        expectSame(kind, requestId, a);
      }),
      { numRuns: 2000 },
    );
  });
});
