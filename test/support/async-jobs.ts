// Counts the async resources of one type that a piece of code starts (async_hooks): real work observed, not
// a mock. PBKDF2REQUEST is one node:crypto PBKDF2 job, bcrypt:EncryptAsyncWorker one bcrypt hash, anp_crypt
// one crypt(3) call of the addon on libuv's pool.
import { createHook } from "node:async_hooks";

/** How many async jobs of `type` `run` starts. */
export async function countJobs(type: string, run: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const hook = createHook({
    init(_id, resourceType) {
      if (resourceType === type) count++;
    },
  }).enable();
  try {
    await run();
  } finally {
    hook.disable();
  }
  return count;
}
