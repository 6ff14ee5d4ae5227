import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { harness, type Harness } from "./voice-harness.js";
import { words } from "../../main/engine/providers/fake/index.js";

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  h?.close();
  vi.useRealTimers();
});

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
  server: { url: "https://example.test/weather" },
  message: "Let me check.",
};

async function ask(): Promise<void> {
  h.session.start();
  await h.quiet(400);
  await h.speak(600);
}

describe("voice session: tools", () => {
  it("runs a webhook tool through the host, speaks its message meanwhile, and answers with its result", async () => {
    h = harness({
      assistant: { llm_config: { tools: [weatherTool] } },
      stt: ["What's the weather in Paris?"],
      llm: [
        { steps: [{ tool: "get_weather", args: { city: "Paris" }, id: "call_1" }] },
        words("It is sunny in Paris."),
      ],
      toolResult: async () => {
        await new Promise((r) => setTimeout(r, 300));
        return "sunny, 24 C";
      },
    });
    await ask();
    await h.until(() => h.said("assistant").length > 0);

    expect(h.llm.requests[0].tools).toEqual(["get_weather"]);
    expect(h.record.toolCalls).toEqual([{ name: "get_weather", arguments: { city: "Paris" } }]);
    // The tool's own line fills the wait for the webhook.
    expect(h.tts.requests).toEqual(["Let me check.", "It is sunny in Paris."]);
    expect(h.llm.requests[1].messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: JSON.stringify({ city: "Paris" }) },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny, 24 C" },
    ]);
    expect(h.said("assistant")).toEqual(["Let me check. It is sunny in Paris."]);
  });

  it("a failing webhook tool is reported, the caller hears the fallback line, and the model gets the error", async () => {
    h = harness({
      assistant: { llm_config: { tools: [{ ...weatherTool, message: undefined }] } },
      stt: ["Weather?"],
      llm: [{ steps: [{ tool: "get_weather", args: {}, id: "c" }] }, words("I could not find out.")],
      toolResult: async () => {
        throw new Error("HTTP 502");
      },
    });
    await ask();
    await h.until(() => h.said("assistant").length > 0);
    expect(h.record.problems).toContain("Tool 'get_weather' failed: HTTP 502");
    expect(h.tts.requests[0]).toBe("Sorry, that is taking longer than expected.");
    expect(h.llm.requests[1].messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "c",
      content: JSON.stringify({ error: "HTTP 502" }),
    });
  });

  it("transfer_call: says the destination's message, then the host transfers once it was heard", async () => {
    h = harness({
      assistant: {
        llm_config: {
          tools: [{ type: "transfer_call", destinations: [{ number: "+15551234", message: "Transferring you now." }] }],
        },
      },
      stt: ["Can I talk to a person?"],
      llm: [{ steps: [{ text: "Sure. " }, { tool: "transfer_call", args: { destination: "+1 555 1234" } }] }],
    });
    await ask();
    await h.until(() => h.record.transfers.length > 0);
    expect(h.record.transfers[0]).toMatchObject({ destination: "+15551234", queued: 0 });
    expect(h.tts.requests).toEqual(["Sure.", "Transferring you now."]);
    expect(h.log.indexOf("assistant: Sure. Transferring you now.")).toBeLessThan(h.log.indexOf("transfer +15551234"));
    expect(h.record.hangups).toEqual([]);
  });

  it("transfer_call to a number that is not configured is refused: no transfer, and the model is told", async () => {
    h = harness({
      assistant: { llm_config: { tools: [{ type: "transfer_call", destinations: [{ number: "+15551234" }] }] } },
      stt: ["Transfer me to 0900 123"],
      llm: [
        { steps: [{ tool: "transfer_call", args: { destination: "0900123" }, id: "t" }] },
        words("I can't transfer you there."),
      ],
    });
    await ask();
    await h.until(() => h.said("assistant").length > 0);
    expect(h.record.transfers).toEqual([]);
    expect(h.record.problems[0]).toMatch(/refused: 0900123 is not one of this tool's destinations/);
    expect(h.llm.requests[1].messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "t" });
  });

  it("end_call: the goodbye is spoken, then the end-call message, then the host hangs up", async () => {
    h = harness({
      assistant: {
        llm_config: { tools: [{ type: "end_call" }] },
        speech_config: { end_call_message: "Have a nice day." },
      },
      stt: ["That's all, bye."],
      llm: [{ steps: [{ text: "Goodbye! " }, { tool: "end_call" }] }],
    });
    await ask();
    await h.until(() => h.record.hangups.length > 0);
    expect(h.record.hangups[0]).toMatchObject({ reason: "assistant_hangup", queued: 0 });
    expect(h.said("assistant")).toEqual(["Goodbye!", "Have a nice day."]);
    // Closed: the caller's later audio goes nowhere.
    await h.speak(600);
    await h.quiet(1000);
    expect(h.stt.requests).toHaveLength(1);
  });

  it("send_dtmf presses keys through the host", async () => {
    h = harness({
      assistant: { llm_config: { tools: [{ type: "dtmf" }] } },
      stt: ["Press one for sales."],
      llm: [{ steps: [{ tool: "send_dtmf", args: { digits: "1#x" } }] }, words("Done.")],
    });
    await ask();
    await h.until(() => h.said("assistant").length > 0);
    expect(h.record.dtmf).toEqual(["1#"]);
    expect(h.llm.requests[1].messages.at(-1)).toMatchObject({ role: "tool", content: "Pressed 1#." });
  });

  it("do_not_call puts the caller on the do-not-call list through the host and tells the model", async () => {
    h = harness({
      assistant: { llm_config: { tools: [{ type: "do_not_call" }, { type: "end_call" }] } },
      stt: ["Please take me off your list."],
      llm: [{ steps: [{ tool: "do_not_call", args: { reason: "take me off your list" } }] }, words("Done, sorry.")],
    });
    await ask();
    await h.until(() => h.said("assistant").length > 0);
    expect(h.record.doNotCall).toEqual(["take me off your list"]);
    expect(h.llm.requests[0].tools).toEqual(["do_not_call", "end_call"]);
    expect(h.llm.requests[1].messages.at(-1)).toMatchObject({
      role: "tool",
      content: "+31612340001 is on the do-not-call list and will not be called again.",
    });
  });
});
