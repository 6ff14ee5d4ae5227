import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { watchEngine, type EngineWatch, type SocketLike } from "../../main/desktop/engine-watch.js";
import { trayView, type DesktopNote } from "../../main/desktop/desktop-state.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { hasKamailio, startKamailio, type Kamailio } from "../support/kamailio.js";
import { waitFor } from "../helpers/wait.js";

// The desktop shell's tray and notifications, fed by a real engine over its HTTP API and event stream (the
// same modules Electron's main process runs; only the Electron rendering of tray and notification is not).
describe.skipIf(!hasKamailio)(
  "the desktop shell watches its engine (skipped only where the kamailio package is not installed)",
  () => {
    let k: Kamailio;
    let t: TestEngine;
    let watch: EngineWatch;
    const notes: DesktopNote[] = [];

    beforeAll(async () => {
      k = await startKamailio();
      t = await startTestEngine({ sipRetryBaseMs: 300 });
      watch = watchEngine({
        apiBase: t.url,
        apiKey: t.apiKey,
        fetch,
        openSocket: (url, headers) => new WebSocket(url, { headers }) as unknown as SocketLike,
        onChange: (_state, n) => notes.push(...n),
        retryMs: 200,
      });
    }, 60_000);
    afterAll(async () => {
      watch?.stop();
      await t?.stop();
      await k?.stop();
    });

    it("shows a registered trunk, then notifies once when a wrong password makes another fail", async () => {
      const add = (name: string, password: string) =>
        t.api("/api/v1/sip-trunks", {
          method: "POST",
          json: { name, host: "127.0.0.1", port: k.port, username: name === "Main" ? "alice" : "bob", password },
        });
      expect((await add("Main", "secret")).status).toBe(201);
      await waitFor(() => trayView(watch.state).status === "registered", 10_000);
      expect(trayView(watch.state).tooltip).toContain("Main: registered");
      expect((await add("Wrong", "nope")).status).toBe(201);
      await waitFor(() => trayView(watch.state).status === "partly" && notes.length > 0, 10_000);
      const failures = notes.filter((n) => n.kind === "registration-failed");
      expect(failures).toHaveLength(1);
      expect(failures[0]!.title).toBe('Trunk "Wrong" is not registered');
      expect(failures[0]!.body).toMatch(/401/);
      // Retries that fail again do not notify again.
      await new Promise((r) => setTimeout(r, 1500));
      expect(notes.filter((n) => n.kind === "registration-failed")).toHaveLength(1);
    });

    it("counts a live assistant call and a missed call, and reads the state again after the socket drops", async () => {
      const calls = t.engine.calls;
      calls.create({ id: "call-live-ai", status: "connecting", direction: "inbound", agent_id: "a-1" });
      calls.transition("call-live-ai", "in-progress");
      await waitFor(() => watch.state.liveAiCalls.has("call-live-ai"), 5000);
      calls.create({ id: "call-missed", status: "connecting", direction: "inbound", caller_phone: "+31612340000" });
      calls.transition("call-missed", "ended", { end_reason: "no_answer" });
      await waitFor(() => watch.state.missed === 1, 5000);
      expect(notes.at(-1)).toEqual({ kind: "missed-call", title: "Missed call", body: "+31612340000" });
      expect(trayView(watch.state).tooltip).toMatch(/1 live AI call\n1 missed call/);

      // The engine drops every event socket (as on a restart); the call ends while nobody listens.
      for (const client of (t.engine.app.websocketServer as { clients: Set<WebSocket> }).clients) client.terminate();
      calls.transition("call-live-ai", "ended", { end_reason: "user_hangup" });
      await waitFor(() => watch.state.liveAiCalls.size === 0, 5000);
      watch.clearMissed();
      expect(trayView(watch.state).tooltip).not.toMatch(/missed/);
    });
  },
);
