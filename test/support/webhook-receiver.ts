import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedHook {
  /** The parsed body (`{ message: {...} }`). */
  body: { message: Record<string, unknown> & { type: string } };
  /** The signature checked as webhooks.md §4 tells receivers to, independently of the engine's code. */
  verified: boolean;
}

/** A webhook receiver on loopback that answers 200 and keeps every delivery with its signature checked. */
export async function startWebhookReceiver(
  secret: string,
): Promise<{ url: string; received: ReceivedHook[]; close(): Promise<void> }> {
  const received: ReceivedHook[] = [];
  const server = createServer(async (req, res) => {
    let raw = "";
    for await (const c of req) raw += c;
    const expected =
      "sha256=" + createHmac("sha256", secret).update(`${req.headers["x-webhook-timestamp"]}.${raw}`).digest("hex");
    received.push({ body: JSON.parse(raw), verified: req.headers["x-webhook-signature"] === expected });
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
