// HTTP load generator for the benchmarks, run in a worker thread so the server under test keeps its own
// event loop (and core). Plain JS: worker threads on Node 20 do not take tsx's loader.
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";

const { port, key, path, clients, seconds } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: clients });

function get() {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request(
      { host: "127.0.0.1", port, path, agent, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        res.on("data", () => undefined);
        res.on("end", () =>
          res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

for (let i = 0; i < 20; i++) await get(); // warm-up: statement cache, JIT
const latencies = [];
const started = performance.now();
const end = started + seconds * 1000;
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (performance.now() < end) latencies.push(await get());
  }),
);
agent.destroy();
parentPort.postMessage({ latencies, elapsedS: (performance.now() - started) / 1000 });
