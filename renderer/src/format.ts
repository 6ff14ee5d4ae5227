export const formatTime = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");
export const formatDuration = (s: number | null) =>
  s === null ? "—" : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
export const orDash = (v: string | null | undefined) => v || "—";
