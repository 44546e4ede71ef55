// The lockout step of a CHECK_PASSWORD that names its client (CLIENT_IP): every policy that applies (the
// worker's native throttle, then the handler's own, e.g. django-axes) is asked before the handler runs,
// so a locked client costs no hash and learns nothing about the user (an existing and an unknown user get
// the same THROTTLED answer). A check that reaches a verdict is recorded to every policy before the
// answer goes out. A policy that cannot answer or record (its database or Redis down) fails the request:
// ERROR, never an unchecked grant. A client address whose hashing queue is full is answered THROTTLED
// at once too, with no record: nothing was checked. The answer says whom it refuses (THROTTLE_SCOPE): the
// whole address when any locking policy refuses the address, else only this user from it.
import type { CheckOutcome, ClientInfo, LockoutDecision, LockoutPolicy, LockScope } from "../brute-force/types.js";
import { HashQueueFullError } from "../errors.js";
import { Status } from "../protocol/constants.js";
import type { Answer } from "./answer.js";

/** Retry-After of a full hashing queue: the queue drains within a hash or two. */
export const QUEUE_RETRY_AFTER_SECONDS = 1;
/** RETRY_AFTER's range on the wire (docs/protocol.md). */
const MAX_RETRY_AFTER_SECONDS = 86_400;

/** The worker's lockout counters, for the admin status: THROTTLED answers, and those for a full hashing queue. */
export const lockoutCounters = { throttled: 0, queueFull: 0 };

/** The THROTTLED answer: Retry-After, its scope, and REASON naming the rules (for the module's lockout log line). */
export function throttledAnswer(retryAfterSeconds: number, reasons: readonly string[], scope: LockScope): Answer {
  const seconds = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(retryAfterSeconds)));
  return { status: Status.THROTTLED, retryAfter: seconds, reason: `throttled: ${reasons.join(",")}`, throttleScope: scope };
}

function outcomeOf(status: Status): CheckOutcome | null {
  switch (status) {
    case Status.GRANTED:
      return "granted";
    case Status.DENIED:
      return "denied";
    case Status.USER_NOT_FOUND:
      return "not_found";
    default:
      return null;
  }
}

/** What `policies` say about `client` trying `user`: THROTTLED when any locks, else null. */
async function lockedAnswer(policies: readonly LockoutPolicy[], client: ClientInfo, user: string, signal: AbortSignal): Promise<Answer | null> {
  const decisions: LockoutDecision[] = await Promise.all(policies.map((policy) => policy.check(client, user, signal)));
  let retryAfter = 0;
  let scope: LockScope = "user";
  const reasons: string[] = [];
  for (const decision of decisions) {
    if (!decision.locked) continue;
    retryAfter = Math.max(retryAfter, decision.retryAfterSeconds);
    reasons.push(decision.reason);
    if (decision.scope === "address") scope = "address";
  }
  return reasons.length === 0 ? null : throttledAnswer(retryAfter, reasons, scope);
}

/**
 * Runs `check` for `client` and `user` under `policies`: THROTTLED without running it when a policy
 * locks; otherwise its answer, recorded to every policy first (a handler's ERROR, thrown, records nothing).
 */
export async function checkUnderLockouts(
  policies: readonly LockoutPolicy[],
  client: ClientInfo,
  user: string,
  signal: () => AbortSignal,
  check: () => Promise<Answer>,
): Promise<Answer> {
  if (policies.length > 0) {
    const locked = await lockedAnswer(policies, client, user, signal());
    if (locked !== null) {
      lockoutCounters.throttled++;
      return locked;
    }
  }
  let answer: Answer;
  try {
    answer = await check();
  } catch (err) {
    if (err instanceof HashQueueFullError) {
      lockoutCounters.throttled++;
      lockoutCounters.queueFull++;
      return throttledAnswer(QUEUE_RETRY_AFTER_SECONDS, ["queue"], "address");
    }
    throw err;
  }
  const outcome = outcomeOf(answer.status);
  if (outcome !== null && policies.length > 0) {
    const recordSignal = signal();
    await Promise.all(policies.map((policy) => policy.record(client, user, outcome, recordSignal)));
  }
  return answer;
}
