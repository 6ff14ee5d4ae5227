import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local double of an OpenAI-compatible chat-completions server (the wire format Ollama, LM Studio and
 * llama.cpp's server also speak): `POST /v1/chat/completions` with `stream: true` answered as
 * server-sent events of `chat.completion.chunk` objects, ending with `data: [DONE]`. It records every
 * request so tests can check what the model was told.
 */
export interface ScriptedReply {
  text?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  /** Delay before the first chunk. */
  firstTokenMs?: number;
  /** Delay between text chunks (the text goes out a few words at a time). */
  chunkMs?: number;
  /** Answer with this HTTP status and an OpenAI-style error body instead. */
  status?: number;
  /** Send a broken event stream. */
  malformed?: boolean;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
}

export interface ChatRequest {
  model: string;
  messages: { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];
  tools?: { function: { name: string } }[];
  stream?: boolean;
  temperature?: number;
  response_format?: unknown;
  headers: IncomingMessage["headers"];
}

export interface LlmServer {
  url: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

export interface LlmServerOptions {
  /** Model ids listed at `GET /v1/models` (as Ollama lists its pulled models); without it that path is a 404. */
  models?: string[];
}

export async function startLlmServer(
  script: (req: ChatRequest) => ScriptedReply,
  opts: LlmServerOptions = {},
): Promise<LlmServer> {
  const requests: ChatRequest[] = [];
  const open = new Set<import("node:http").ServerResponse>();
  const server: Server = createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    if (opts.models && req.method === "GET" && req.url === "/v1/models") {
      const data = opts.models.map((id) => ({ id, object: "model", created: 0, owned_by: "local" }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data }));
      return;
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    const parsed = { ...JSON.parse(body), headers: req.headers } as ChatRequest;
    requests.push(parsed);
    const r = script(parsed);
    if (r.hang) {
      open.add(res);
      res.on("close", () => open.delete(res));
      return;
    }
    if (r.status) {
      res
        .writeHead(r.status, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: `scripted ${r.status}`, type: "server_error", code: null } }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const sleep = (ms?: number) => new Promise((done) => setTimeout(done, ms ?? 0));
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: "chatcmpl-local", object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: parsed.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    await sleep(r.firstTokenMs);
    if (r.malformed) {
      res.end('data: {"id": "chatcmpl-local", "choices": [ {broken\n\n');
      return;
    }
    res.write(chunk({ role: "assistant", content: "" }));
    const words = (r.text ?? "").split(/(?<=\s)/);
    for (let i = 0; i < words.length; i += 3) {
      if (res.destroyed) return;
      res.write(chunk({ content: words.slice(i, i + 3).join("") }));
      if (r.chunkMs) await sleep(r.chunkMs);
    }
    (r.toolCalls ?? []).forEach((tc, index) => {
      res.write(
        chunk({
          tool_calls: [
            {
              index,
              id: `call_${index}_${requests.length}`,
              type: "function",
              function: { name: tc.name, arguments: "" },
            },
          ],
        }),
      );
      res.write(chunk({ tool_calls: [{ index, function: { arguments: JSON.stringify(tc.arguments) } }] }));
    });
    res.write(chunk({}, r.toolCalls?.length ? "tool_calls" : "stop"));
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      for (const r of open) r.destroy();
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
}

/** Last message of a request with this role. */
export const lastOf = (req: ChatRequest, role: string) =>
  [...req.messages].reverse().find((m) => m.role === role)?.content ?? "";
