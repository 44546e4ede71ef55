// `vite-node test/harness/sweep-leftovers.ts`: the globalSetup sweep on its own, for .ci/run's trap
// (after it has killed the test process tree, whose entries then have no owner).
import setup from "./global-setup.js";

setup();
