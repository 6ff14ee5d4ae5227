/** The logger method used here (fastify's pino logger has it). */
export interface ErrorLogger {
  error(obj: { err: unknown }, msg: string): void;
}

/**
 * Node ends the process on an unhandled promise rejection. For an engine carrying live calls, one forgotten
 * `.catch` somewhere (a webhook, a provider, a disk write) must not hang up every caller: log it and go on.
 * Synchronous uncaught exceptions still end the process, because the state they leave is unknown.
 */
export function guardUnhandledRejections(proc: Pick<NodeJS.Process, "on">, log: ErrorLogger): void {
  proc.on("unhandledRejection", (reason) => {
    log.error(
      { err: reason },
      `unhandled promise rejection (the engine goes on): ${reason instanceof Error ? reason.message : String(reason)}`,
    );
  });
}
