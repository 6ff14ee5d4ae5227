import { BlockList } from "node:net";

/**
 * The subnets test topologies made in this process (plus loopback): the only places test traffic may go.
 * The test's own namespace has a default route off the machine, so helpers that send check here first.
 */
const testSubnets = new BlockList();
testSubnets.addSubnet("127.0.0.0", 8);

/** Records an address with its prefix ("10.211.0.1/24") as a test subnet. */
export function rememberSubnet(cidr: string): void {
  const [address, prefix] = cidr.split("/");
  testSubnets.addSubnet(address, Number(prefix ?? 32));
}

/** Throws unless `address` is loopback or inside a subnet a test topology made. */
export function assertTestAddress(address: string): void {
  if (!testSubnets.check(address))
    throw new Error(
      `${address} is not inside a subnet this test created: refusing to send there (it could leave the machine)`,
    );
}
