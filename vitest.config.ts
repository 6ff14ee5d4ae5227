import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: integration tests start real servers and peers; keep the load predictable.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
