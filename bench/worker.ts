// bench/worker, all variants (`npm run bench:worker`): the trivial script handler, then the Django handler
// on a throwaway PostgreSQL 15 (test/harness/postgres.ts) with a user created by real Django 3.2, so the
// numbers include a real query per check. Run with vite-node after `npm run build:ts`; the measuring code
// is bench/worker.mjs, which also runs alone (`node bench/worker.mjs --help` for its flags).
//
//   vite-node bench/worker.ts [-- --no-django] [-- --requests N --connections N --depth N --sequential N]
import { parseArgs } from "node:util";
import { startDjango } from "../test/harness/django.js";
import { startPostgres } from "../test/harness/postgres.js";
// @ts-expect-error: a plain ES module without type declarations
import { benchWorker, formatResult, LOAD_OPTIONS, trivialSpec } from "./worker.mjs";

type LoadFlag = "requests" | "connections" | "depth" | "sequential";
const loadOptions: Record<LoadFlag, { type: "string"; default: string }> = LOAD_OPTIONS;

const { values } = parseArgs({
  options: {
    ...loadOptions,
    "no-django": { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const load = {
  requests: Number(values.requests),
  connections: Number(values.connections),
  depth: Number(values.depth),
  sequential: Number(values.sequential),
};

console.log(formatResult("worker, trivial script handler", await benchWorker({ spec: trivialSpec, user: "bench", password: "bench-pw", ...load })));

if (!values["no-django"]) {
  const pg = await startPostgres();
  try {
    const oracle = await startDjango({ databaseUrl: pg.url });
    // Django 3.2's default hasher and iterations: the worker's verified-credential cache pays for the
    // hash once, so the steady state is one indexed query per check (what a busy Subversion client causes).
    await oracle.createUser({ username: "bench", password: "bench-pw", groups: ["bench"] });
    await oracle.close();
    const spec = () => `type=django\ndatabase=${pg.url}\ndjango_version=3.2`;
    const djangoLoad = { ...load, requests: Math.min(load.requests, 50_000) };
    console.log(formatResult(`worker, Django handler on PostgreSQL 15 (${pg.url})`, await benchWorker({ spec, user: "bench", password: "bench-pw", ...djangoLoad })));
  } finally {
    await pg.cleanup();
  }
}
