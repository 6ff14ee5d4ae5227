/**
 * Small types the SIP modules share. They live apart from the modules that use them so that two modules
 * needing the same type (stun.ts and udp-endpoint.ts) do not have to import each other.
 */

/** Where a datagram or connection comes from or goes to. */
export interface Remote {
  host: string;
  port: number;
}
