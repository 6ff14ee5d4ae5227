import type { TestEngine } from "./engine.js";
import { waitFor, waitForAsync } from "./wait.js";

/**
 * Steps the network telephony tests share: set up an assistant, trunk and number through the API, watch a
 * trunk's registration the way a user would (GET /sip-trunks/{id}), and capture an answered call's audio.
 */

export interface Registration {
  status: "registered" | "registering" | "failed" | "unregistered";
  reason: string | null;
  expires_at: string | null;
  /** "ip:port" of the server we registered with (RFC 3263 may pick one of several). */
  server?: string | null;
  /** The Contact URI we registered. */
  contact?: string | null;
}

export interface TrunkView {
  id: string;
  name: string;
  host: string;
  port: number;
  registration: Registration;
  [field: string]: unknown;
}

async function json<T>(res: Response, what: string): Promise<T> {
  const body = (await res.json()) as T & { message?: string };
  if (!res.ok) throw new Error(`${what}: ${res.status} ${body.message ?? JSON.stringify(body)}`);
  return body;
}

/** An assistant without an llm_config: no voice pipeline runs, the test itself plays and listens. */
export async function createAssistant(t: TestEngine, name: string): Promise<string> {
  const res = await t.api("/api/v1/assistants", { method: "POST", json: { name } });
  return (await json<{ assistant: { id: string } }>(res, "creating an assistant")).assistant.id;
}

export async function createTrunk(t: TestEngine, body: Record<string, unknown>): Promise<TrunkView> {
  return (
    await json<{ trunk: TrunkView }>(
      await t.api("/api/v1/sip-trunks", { method: "POST", json: body }),
      "creating a trunk",
    )
  ).trunk;
}

/**
 * Makes a peer on this machine at `port` the engine's only trunk (no registration), with the number
 * +31850835037 on it as caller ID; resolves with the trunk's id once telephony runs it.
 */
export async function onlyTrunkTo(t: TestEngine, port: number, name = "far end"): Promise<string> {
  for (const old of t.store.sipTrunks.list()) await deleteTrunk(t, old.id);
  const trunk = await createTrunk(t, { name, host: "127.0.0.1", port });
  await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
  const numbers = t.store.numbers.list();
  if (numbers.length)
    await t.api(`/api/v1/numbers/${numbers[0].id}`, { method: "PATCH", json: { sip_trunk_id: trunk.id } });
  else await createNumber(t, "+31850835037", trunk.id);
  return trunk.id;
}

export async function deleteTrunk(t: TestEngine, id: string): Promise<void> {
  await t.api(`/api/v1/sip-trunks/${id}`, { method: "DELETE" });
}

export async function createNumber(
  t: TestEngine,
  phoneNumber: string,
  trunkId: string,
  assistantId?: string,
): Promise<string> {
  const res = await t.api("/api/v1/numbers", {
    method: "POST",
    json: { phone_number: phoneNumber, sip_trunk_id: trunkId, ...(assistantId ? { assistant_id: assistantId } : {}) },
  });
  return (await json<{ number: { id: string } }>(res, "creating a number")).number.id;
}

export async function getTrunk(t: TestEngine, id: string): Promise<TrunkView> {
  return (await json<{ trunk: TrunkView }>(await t.api(`/api/v1/sip-trunks/${id}`), "reading a trunk")).trunk;
}

/** Polls the trunk's registration through the API until `done` holds; a timeout shows the last state. */
export async function waitForRegistration(
  t: TestEngine,
  id: string,
  done: (r: Registration) => boolean,
  ms: number,
): Promise<Registration> {
  let last: Registration | null = null;
  return waitForAsync(
    async () => {
      last = (await getTrunk(t, id)).registration;
      return done(last) && last;
    },
    ms,
    200,
    () => `last registration: ${JSON.stringify(last)}`,
  );
}

/** How many call rows GET /api/v1/calls reports. */
export async function callCount(t: TestEngine): Promise<number> {
  return (await json<{ pagination: { total: number } }>(await t.api("/api/v1/calls?limit=1"), "listing calls"))
    .pagination.total;
}

/** One signal from consecutive frames. */
export function joinFrames(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/**
 * From the next answered call on: plays `samples` into it at once and keeps every frame it hears, through
 * the engine's `onAnswered` seam (as test/integration/sip/inbound-call.test.ts does).
 */
export function answerWith(t: TestEngine, samples: Int16Array | null): { callId(): string; heard(): Int16Array } {
  let callId = "";
  const frames: Int16Array[] = [];
  t.engine.telephony!.onAnswered = (id, _leg, rtp) => {
    callId = id;
    rtp.on("frame", (f) => frames.push(f.data.slice()));
    if (samples) rtp.play(samples);
  };
  return { callId: () => callId, heard: () => joinFrames(frames) };
}

/** The engine's SIP port (UDP), on every interface unless the engine was told otherwise. */
export function sipPort(t: TestEngine): number {
  return t.engine.telephony!.sipAddress!.port;
}

type CallRow = NonNullable<ReturnType<TestEngine["store"]["calls"]["get"]>>;

/**
 * Waits (at most `ms`) for the call `callId()` names to end or fail, then stops `phone` either way, and
 * returns the call row (undefined when no call was ever answered).
 */
export async function callOutcome(
  t: TestEngine,
  callId: () => string,
  phone: { proc: { kill(signal: NodeJS.Signals): boolean }; exited: Promise<unknown> },
  ms: number,
): Promise<CallRow | undefined> {
  let call: CallRow | undefined;
  const over = () => {
    call = callId() ? t.store.calls.get(callId()) : undefined;
    return call && (call.status === "ended" || call.status === "failed");
  };
  try {
    await waitFor(over, ms, 100).catch(() => undefined);
  } finally {
    phone.proc.kill("SIGTERM");
    await phone.exited;
  }
  return call;
}
