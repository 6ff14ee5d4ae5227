/**
 * A campaign's daily window in a time zone: pure functions of an instant, so the dispatcher's clock can be
 * injected (tests) and the same rule answers the API and the dialler.
 */

export interface DailyWindow {
  /** "HH:MM:SS", local time in `timezone`. */
  start: string;
  end: string;
  timezone: string;
  /** ISO weekdays (Monday = 1 … Sunday = 7) on which the window opens. */
  weekdays: readonly number[];
}

export const ALL_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
export const DEFAULT_WINDOW = { start: "09:00:00", end: "17:00:00", timezone: "Europe/Amsterdam" } as const;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `tz` is an IANA zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The wall clock in `tz` at `at`: ISO weekday and seconds since local midnight. */
export function localClock(at: Date, tz: string): { weekday: number; seconds: number; text: string } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone: tz,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(tz, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const seconds = Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
  return {
    weekday: WEEKDAY[parts.weekday as string] ?? 0,
    seconds,
    text: `${parts.weekday} ${parts.hour}:${parts.minute}:${parts.second}`,
  };
}

export const secondsOf = (hms: string): number => {
  const [h, m, s] = hms.split(":").map(Number);
  return h * 3600 + m * 60 + (s ?? 0);
};

/** "9:00" / "09:00" / "09:00:00" → "09:00:00"; null when it is not a time of day. */
export function normaliseTime(text: string): string | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return null;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || min > 59 || s > 59) return null;
  return [h, min, s].map((n) => String(n).padStart(2, "0")).join(":");
}

/**
 * Whether the window is open at `at`. The end is exclusive. A window whose end is before its start runs
 * over midnight (22:00–02:00) and belongs to the weekday on which it opened; a start equal to the end is all day.
 */
export function inWindow(w: DailyWindow, at: Date): boolean {
  const { weekday, seconds } = localClock(at, w.timezone);
  const start = secondsOf(w.start);
  const end = secondsOf(w.end);
  if (start === end) return w.weekdays.includes(weekday); // all day
  if (start < end) return w.weekdays.includes(weekday) && seconds >= start && seconds < end;
  if (seconds >= start) return w.weekdays.includes(weekday);
  const yesterday = weekday === 1 ? 7 : weekday - 1;
  return seconds < end && w.weekdays.includes(yesterday);
}
