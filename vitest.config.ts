import { defineConfig } from "vitest/config";

// Three projects, one per directory, by what a test starts: unit tests start nothing (in-process code
// only), integration tests start processes (workers, databases, Django, C test binaries) but not Apache,
// and end-to-end tests run a real Apache httpd with the module. `npm test` runs all three.
export default defineConfig({
  test: {
    reporters: ["default"],
    // Sweeps leftovers of earlier, killed runs (servers and directories whose owner process has gone).
    globalSetup: ["test/harness/global-setup.ts"],
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000 } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
