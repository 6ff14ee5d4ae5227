/**
 * features.md §2's transcript rule, matched in context rather than word by word: the spec's list has
 * single words ("message", "beep", "unavailable") that a person also says ("Can I take a message?",
 * "He's not here, who's calling?"). Phrases only a recording says count alone; the spec's weak words
 * count only beside a second indicator; a person's offer or question cancels the weak ones.
 */

/** Said by recordings, almost never by a person picking up (English and Dutch). */
const STRONG: RegExp[] = [
  /\bvoice ?mail\b/,
  /\bmail ?box\b/,
  /\bleave (?:me |us )?(?:a |your )?(?:short |brief )?(?:message|name and number)\b/,
  /\b(?:please )?record your message\b/,
  /\bplease record\b/,
  /\bspeak your message\b/,
  /\b(?:after|at) the (?:tone|beep|signal)\b/,
  /\bpress (?:star|pound|hash)\b/,
  /\b(?:can ?not|can't|cannot|unable to) (?:take|answer) (?:your|the) (?:call|phone)\b/,
  /\bcall (?:me |us )?back later\b/,
  /\bget back to you\b/,
  /\b(?:you have|you've) reached\b/,
  // Dutch: "u spreekt met de voicemail van", "spreek een bericht in", "na de piep", "niet bereikbaar".
  /\bspreek (?:een|uw|je) (?:bericht|boodschap)(?:je)? in\b/,
  /\b(?:bericht|boodschap)(?:je)? (?:in ?te spreken|achter ?(?:te )?laten|inspreken)\b/,
  /\blaat (?:een|uw|je) (?:bericht|boodschap)(?:je)? achter\b/,
  /\bna de (?:piep|toon|pieptoon)\b/,
  /\bniet bereikbaar\b/,
  /\bbel (?:me |ons )?later (?:terug|nog eens)\b/,
  /\bterugbellen\b/,
];

/** The rest of the spec's list: an indicator only beside another one. */
const WEAK: RegExp[] = [
  /\bunavailable\b/,
  /\bnot available\b/,
  /\bnot here\b/,
  /\bmessage\b/,
  /\bbeep\b/,
  /\bniet (?:aanwezig|beschikbaar)\b/,
  /\bmomenteel niet\b/,
  /\bbericht\b/,
  /\bpiep\b/,
];

/** A person offering to help or asking back: weak indicators mean nothing next to these. */
const PERSON: RegExp[] = [
  /\b(?:can|may|shall) i (?:take|give (?:him|her)) a message\b/,
  /\bwho(?:'s| is) (?:calling|this|speaking)\b/,
  /\bcan i help\b/,
  /\bkan ik (?:een bericht|iets) (?:aannemen|doorgeven)\b/,
  /\bmet wie spreek ik\b/,
  /\bwie is (?:daar|dit)\b/,
];

/**
 * Call screening (Google's Call Screen, iOS's screening, a carrier's "state your name" service): a machine
 * that asks who is calling and passes the answer to the person, who may then pick up. Not a voicemail: the
 * assistant should answer it, not leave a message (LiveKit's separate "screening" outcome).
 */
const SCREENING: RegExp[] = [
  /\b(?:is )?using a (?:call )?screening service\b/,
  /\b(?:say|state|record|tell me) your name and (?:why you(?:'re| are) calling|(?:the |your )?reason (?:for|of) (?:your )?call(?:ing)?)\b/,
  /\bget a copy of this conversation\b/,
  /\bi'll see if (?:this person|they(?:'re| are)|he(?:'s| is)|she(?:'s| is)) (?:is )?available\b/,
  // Dutch: "zeg uw naam en waarom u belt", "noem uw naam en de reden van uw oproep".
  /\b(?:zeg|noem|vertel) (?:uw|je) naam en (?:waarom (?:u|je) belt|(?:de )?reden van (?:uw|je) (?:oproep|telefoontje|gesprek))\b/,
  /\bscreening ?service\b/,
];

/** The screening phrases in a transcript (empty: not a screening service). */
export function screeningPhrases(transcript: string): string[] {
  const text = normalise(transcript);
  return SCREENING.flatMap((re) => re.exec(text)?.[0] ?? []).filter((m, i, all) => all.indexOf(m) === i);
}

export interface PhraseVerdict {
  machine: boolean;
  /** The indicator phrases found, for the call's event log. */
  matched: string[];
}

export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/[^\p{L}\p{N}' ]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** The transcript rule on the first utterance: does it read like a recorded greeting? */
export function voicemailPhrases(transcript: string): PhraseVerdict {
  const text = normalise(transcript);
  const found = (list: RegExp[]) => list.flatMap((re) => re.exec(text)?.[0] ?? []);
  const strong = found(STRONG);
  if (strong.length) return { machine: true, matched: strong };
  const weak = found(WEAK);
  if (weak.length >= 2 && !PERSON.some((re) => re.test(text))) return { machine: true, matched: weak };
  return { machine: false, matched: [] };
}
