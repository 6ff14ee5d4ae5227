import { defineConfig } from "vitest/config";

const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: "forks" as const };
// Calls carry real-time audio between real peers: on two cores they run one file at a time, after
// everything else, so a busy CPU does not turn into late RTP packets and flaky audio checks.
const REALTIME = [
  "test/integration/sip/**/*.test.ts",
  "test/integration/voice/**/*.test.ts",
  "test/e2e/console-incoming.test.ts",
  "test/e2e/console-steer.test.ts",
  "test/e2e/console-first-run.test.ts",
  // WebRTC legs: the same real-time audio, through werift.
  "test/integration/webrtc-leg.test.ts",
  "test/integration/web-calls.test.ts",
  "test/integration/console-webrtc.test.ts",
  "test/integration/console-trickle-coach.test.ts",
  "test/integration/console-lan.test.ts",
  "test/e2e/web-call.test.ts",
  "test/e2e/console-softphone.test.ts",
  "test/e2e/console-trickle-coach.test.ts",
  // Not audio, but timed against 200 ms in the browser: alone, so another file's load is not in its figures.
  "test/e2e/console-calls-scale.test.ts",
  // A new call's row is timed against 1 s in the browser.
  "test/e2e/console-live-board.test.ts",
];

export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      {
        test: {
          ...shared,
          name: "engine",
          include: ["test/**/*.test.ts"],
          exclude: REALTIME,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: { ...shared, name: "telephony", include: REALTIME, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
