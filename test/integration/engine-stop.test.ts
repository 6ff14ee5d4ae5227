import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { startTestEngine } from "../helpers/engine.js";
import { waitFor } from "../helpers/wait.js";
import { startLlmServer } from "../support/llm-server.js";
import { rtpPair } from "../support/rtp-peer.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");

describe.skipIf(!hasPocketsphinx)("stopping the engine (skipped only where pocketsphinx is not installed)", () => {
  it("stops the assistants of the calls it still carries before the database closes: a reply failing afterwards reaches nothing", async () => {
    // The model holds the request; it fails once the engine is gone (the server closes).
    const llm = await startLlmServer(() => ({ text: "", hang: true }));
    const t = await startTestEngine();
    const id = "call_engine_stop";
    t.engine.calls.create({
      id,
      status: "connecting",
      direction: "inbound",
      assistant_config: {
        name: "Stop",
        stt_config: { provider: "pocketsphinx", language: "en" },
        llm_config: { provider: "openai_compatible", model: "local", base_url: llm.url },
        tts_config: { provider: "local", voice_id: "flite-kal" },
      },
    });
    t.engine.calls.transition(id, "in-progress");
    const pair = await rtpPair();
    t.engine.calls.liveCall(id)!.answer(pair.leg);
    const control = await t.api(`/api/v1/calls/${id}/control`, {
      method: "POST",
      json: { type: "inject-context", content: "Greet the caller.", trigger_response: true },
    });
    expect(control.status).toBe(200);
    await waitFor(() => llm.requests.length > 0, 10_000);

    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on("unhandledRejection", onRejection);
    try {
      await t.stop();
      expect(t.engine.calls.liveCall(id)).toBeUndefined();
      await llm.close();
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      process.off("unhandledRejection", onRejection);
      pair.close();
    }
    // Before: the failed request was reported as a problem on the call, written to the closed database.
    expect(rejections).toEqual([]);
  }, 30_000);
});
