// ECharts options for the Usage page, built from the pure figures in analytics/calls.ts. Only the chart
// types and components used here are registered (tree-shaken `echarts/core`), and only when this page loads.
import { use, type ComposeOption } from "echarts/core";
import { BarChart, HeatmapChart, LineChart } from "echarts/charts";
import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption } from "echarts/charts";
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import type {
  AriaComponentOption,
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import type { DailySeries, Histogram, Outcome } from "../../analytics/calls";
import { OUTCOMES } from "../../analytics/calls";

use([
  BarChart,
  HeatmapChart,
  LineChart,
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | HeatmapSeriesOption
  | LineSeriesOption
  | AriaComponentOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | VisualMapComponentOption
>;

type T = (key: string) => string;

// Colours with enough contrast on light and dark backgrounds; failed is red whatever the theme.
const OUTCOME_COLOURS: Record<Outcome, string> = {
  completed: "#2e7d32",
  unanswered: "#f9a825",
  failed: "#c62828",
  active: "#1565c0",
};

const base = (t: T, title: string): ChartOption => ({
  // The page's card shows through: the "dark" theme (used when the OS is dark) would paint its own navy.
  backgroundColor: "transparent",
  // ECharts writes a text description of each chart into aria-label for screen readers.
  aria: { enabled: true, label: { description: title } },
  tooltip: { trigger: "axis" },
  grid: { left: 48, right: 16, top: 40, bottom: 40 },
  textStyle: { fontFamily: "inherit" },
  // Figures appear at their value at once: growing bars read wrong for a moment (and in screenshots), and
  // people who asked their OS for reduced motion get none.
  animation: false,
});

const shortDay = (d: string) => d.slice(5);

export function callsPerDayOption(data: DailySeries<number>, t: T): ChartOption {
  return {
    ...base(t, t("usage.charts.perDay")),
    legend: { top: 0 },
    xAxis: { type: "category", data: data.days.map(shortDay) },
    yAxis: { type: "value", minInterval: 1 },
    series: OUTCOMES.map((o) => ({
      type: "bar",
      name: t(`usage.outcome.${o}`),
      stack: "calls",
      data: data.series[o],
      itemStyle: { color: OUTCOME_COLOURS[o] },
      emphasis: { focus: "series" },
    })),
  };
}

export function heatmapOption(cells: [number, number, number][], weekdays: string[], t: T, dark = false): ChartOption {
  const max = Math.max(1, ...cells.map((c) => c[2]));
  return {
    ...base(t, t("usage.charts.hours")),
    tooltip: { position: "top" },
    grid: { left: 48, right: 16, top: 16, bottom: 64 },
    xAxis: {
      type: "category",
      data: Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0")),
      splitArea: { show: true },
    },
    yAxis: { type: "category", data: weekdays, inverse: true, splitArea: { show: true } },
    visualMap: {
      min: 0,
      max,
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      // From the card's own colour to a strong blue, so an empty hour never glares in dark mode.
      inRange: { color: dark ? ["#1e263c", "#8fb0f5"] : ["#eef4fb", "#1565c0"] },
    },
    series: [{ type: "heatmap", name: t("usage.charts.hours"), data: cells, label: { show: false } }],
  };
}

export function durationOption(h: Histogram, t: T): ChartOption {
  const label = (b: { from: number; to: number | null }) => {
    const f = (s: number) => (s < 60 ? `${s}s` : `${s / 60}m`);
    return b.to === null ? `≥ ${f(b.from)}` : `${f(b.from)}–${f(b.to)}`;
  };
  return {
    ...base(t, t("usage.charts.duration")),
    xAxis: {
      type: "category",
      data: h.buckets.map(label),
      name: t("usage.talkTime"),
      nameLocation: "middle",
      nameGap: 28,
    },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", name: t("usage.calls"), data: h.counts, itemStyle: { color: "#1565c0" } }],
  };
}

export function latencyOption(data: DailySeries<number | null>, t: T): ChartOption {
  return {
    ...base(t, t("usage.charts.latency")),
    legend: { top: 0 },
    xAxis: { type: "category", data: data.days.map(shortDay) },
    yAxis: { type: "value", name: "ms" },
    series: (["p50", "p95"] as const).map((p) => ({
      type: "line",
      name: p,
      data: data.series[p],
      connectNulls: false,
      showSymbol: true,
      itemStyle: { color: p === "p50" ? "#2e7d32" : "#ef6c00" },
    })),
  };
}
