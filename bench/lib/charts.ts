// bench/lib/charts.ts — SVG charts from vega-lite specs, rendered headless by vega in Node.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", width: 520, config: { font: "sans-serif" } } as const;

function chart(title: string, values: object[], mark: unknown, encoding: Record<string, unknown>): TopLevelSpec {
  return { ...base, title, data: { values }, mark, encoding } as TopLevelSpec;
}

export function memoryChart(rows: { optimizer: string; role: string; bytes: number }[], title: string): TopLevelSpec {
  return chart(title, rows, "bar", {
    y: { field: "optimizer", type: "nominal", sort: null, title: null },
    x: { field: "bytes", type: "quantitative", title: "bytes per parameter (measured)" },
    color: { field: "role", type: "nominal", sort: ["params", "grads", "state"], title: null },
    order: { field: "order", type: "quantitative" },
  });
}

export function throughputChart(rows: { implementation: string; mparamPerS: number }[], title: string): TopLevelSpec {
  return chart(title, rows, "bar", {
    y: { field: "implementation", type: "nominal", sort: "-x", title: null },
    x: { field: "mparamPerS", type: "quantitative", scale: { type: "log" }, title: "Mparam/s (log scale)" },
  });
}

export function scalingChart(rows: { params: number; nsPerParam: number }[], title: string): TopLevelSpec {
  return chart(title, rows, { type: "line", point: true }, {
    x: { field: "params", type: "quantitative", scale: { type: "log" }, title: "params in the step (log scale)" },
    y: { field: "nsPerParam", type: "quantitative", scale: { type: "log" }, title: "ns per param (log scale)" },
  });
}

export function threadsChart(rows: { threads: number; ms: number }[], title: string): TopLevelSpec {
  return chart(title, rows, { type: "line", point: true }, {
    x: { field: "threads", type: "quantitative", axis: { tickMinStep: 1 }, title: "cpu threads" },
    y: { field: "ms", type: "quantitative", title: "ms per step" },
  });
}
