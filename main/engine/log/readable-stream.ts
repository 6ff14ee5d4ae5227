/** Where log lines go: anything with a `write(line)` (process.stderr, a test's buffer). */
export interface LineSink {
  write(text: string): unknown;
}

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/**
 * Turns the logger's JSON lines into lines a person reads in a terminal:
 * `2026-12-03T16:09:03.123Z INFO  call call-outbound-… answered`. An error adds its message (and, from
 * ERROR up, its stack). `VOICEDOCK_LOG_FORMAT=json` skips this for log collectors.
 */
export function readableStream(sink: LineSink): LineSink {
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        return sink.write(line);
      }
      const level = LEVELS[entry.level as number] ?? String(entry.level);
      const time = typeof entry.time === "number" ? new Date(entry.time).toISOString() : new Date().toISOString();
      const err = entry.err as { message?: string; stack?: string } | undefined;
      let text = `${time} ${level.padEnd(5)} ${String(entry.msg ?? "")}`;
      if (err?.message && !text.includes(err.message)) text += `: ${err.message}`;
      if (err?.stack && (entry.level as number) >= 50) text += `\n${err.stack.split("\n").slice(1).join("\n")}`;
      return sink.write(text + "\n");
    },
  };
}
