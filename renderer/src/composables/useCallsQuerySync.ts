import { watch } from "vue";
import { useRoute, useRouter, type LocationQuery } from "vue-router";
import type { CallFilters } from "../stores/calls";

const STATUSES = ["connecting", "in-progress", "ended", "failed"];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const one = (v: LocationQuery[string]) => (Array.isArray(v) ? v[0] : v) ?? "";

/**
 * The calls list's filters live in the URL, so a filtered list can be bookmarked, shared and reached
 * with the back button. The URL is read into the filters, and every change of them written back.
 */
export function useCallsQuerySync(filters: CallFilters, reload: () => void): void {
  const route = useRoute();
  const router = useRouter();

  function read(query: LocationQuery): boolean {
    const status = one(query.status);
    const next = {
      status: (STATUSES.includes(status) ? status : "") as CallFilters["status"],
      startDate: DATE.test(one(query.from)) ? one(query.from) : "",
      endDate: DATE.test(one(query.to)) ? one(query.to) : "",
      q: one(query.q),
      missed: one(query.missed) === "1",
      offset: Math.max(0, Number.parseInt(one(query.offset), 10) || 0),
    };
    const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) => filters[k] !== next[k]);
    Object.assign(filters, next);
    return changed;
  }

  function toQuery(): Record<string, string> {
    const q: Record<string, string> = {};
    if (filters.status) q.status = filters.status;
    if (filters.startDate) q.from = filters.startDate;
    if (filters.endDate) q.to = filters.endDate;
    if (filters.q) q.q = filters.q;
    if (filters.missed) q.missed = "1";
    if (filters.offset) q.offset = String(filters.offset);
    return q;
  }

  read(route.query);
  reload();

  // A changed filter starts again at the first page.
  watch(
    () => [filters.status, filters.startDate, filters.endDate, filters.q, filters.missed],
    () => (filters.offset = 0),
  );
  watch(
    () => [filters.status, filters.startDate, filters.endDate, filters.q, filters.missed, filters.offset],
    () => {
      void router.replace({ query: toQuery() });
      reload();
    },
  );
  // Back/forward, or a link to a filtered list while this page is open.
  watch(
    () => route.query,
    (query) => {
      if (route.name === "calls") read(query);
    },
  );
}
