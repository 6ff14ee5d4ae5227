import { describe, expect, it } from "vitest";
import { EventBus } from "../../main/engine/events/bus.js";
import { logCallEvents } from "../../main/engine/log/call-log.js";
import type { CallRecord } from "../../main/engine/store/calls.js";

const call = (over: Partial<CallRecord>): CallRecord => ({
  id: "call-inbound-1",
  status: "connecting",
  direction: "inbound",
  caller_phone: "+31612345678",
  assistant_phone: "+31850000001",
  agent_phone: null,
  agent_id: null,
  number_id: null,
  agent_name: "Desk",
  assistant_name: "Desk",
  business_name: null,
  phone_number: null,
  end_reason: null,
  error: null,
  ringing_at: null,
  started_at: null,
  ended_at: null,
  duration_seconds: null,
  summary: null,
  analysis_result: null,
  messages: [],
  room_name: null,
  recording_url: null,
  destination: null,
  metadata: null,
  metrics: null,
  created_at: "2026-12-03T10:00:00.000Z",
  updated_at: "2026-12-03T10:00:00.000Z",
  ...over,
});

describe("call log lines (issue #13 §5)", () => {
  it("an inbound call: created, answered once (however many updates), ended with its reason; registration only on change", () => {
    const bus = new EventBus();
    const lines: string[] = [];
    logCallEvents(bus, { info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`) }, () => "Main");
    bus.publish({ type: "call.created", call: call({}) });
    bus.publish({ type: "call.updated", call: call({ status: "in-progress" }) });
    bus.publish({ type: "call.updated", call: call({ status: "in-progress", metrics: { x: 1 } }) });
    bus.publish({
      type: "call.problem",
      call_id: "call-inbound-1",
      message: "Deepgram could not be reached: ECONNREFUSED",
    });
    bus.publish({
      type: "call.ended",
      call: call({ status: "ended", end_reason: "user_hangup", duration_seconds: 42 }),
    });
    for (let i = 0; i < 3; i++)
      bus.publish({
        type: "trunk.registration",
        trunk_id: "t1",
        registration: { status: "registered", reason: null, expires_at: null },
      });
    expect(lines).toEqual([
      "INFO call call-inbound-1: inbound from +31612345678 to +31850000001, assistant 'Desk'",
      "INFO call call-inbound-1: answered",
      "WARN call call-inbound-1: Deepgram could not be reached: ECONNREFUSED",
      "INFO call call-inbound-1: ended (user_hangup) after 42 s",
      "INFO trunk 'Main': registered",
    ]);
  });
});
