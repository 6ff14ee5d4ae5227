import { api } from "../../api/client";
import type { PhoneNumber, SipTrunk } from "../../api/types";
import { landingPath, loadProgress } from "./progress";

/** The first page after a sign-in: the wizard on an engine with nothing set up, else the calls list. */
export async function landingAfterSignIn(): Promise<string> {
  try {
    const [trunks, numbers] = await Promise.all([
      api<{ trunks: SipTrunk[] }>("/sip-trunks"),
      api<{ numbers: PhoneNumber[] }>("/numbers"),
    ]);
    return landingPath(loadProgress(localStorage), { trunks: trunks.trunks.length, numbers: numbers.numbers.length });
  } catch {
    // Whatever failed here fails on the calls page too, where the console already explains it.
    return "/calls";
  }
}
