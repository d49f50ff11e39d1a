// Our small interop over ApexCharts 4.7.0 (MIT; see docs/decisions/0006-charts.md). The library is restored from npm by
// the build into wwwroot/lib and loaded from our own origin as an ordinary script file: no CDN, no inline script, so a
// strict Content-Security-Policy (script-src 'self') keeps working.
//
// C# sends plain ApexCharts options plus an optional `registry` block of hints that need JavaScript functions:
//   registry.categoryPrefix  text put before each x-axis category in tooltips ("v" → "v3")
//   registry.units           one unit per series, appended to its values in tooltips and labels
//   registry.decimals        at most this many decimals on the y axis and in tooltips (default 4)
//   registry.links           one address per x-axis category: clicking a marker there opens it (a path on this site
//                            only: "/models/…"; anything else is ignored)
// Every string in the options is shown as text, never as markup: send names as they are, unescaped (see `text` below).

let loading;

function library() {
  if (window.ApexCharts) {
    return Promise.resolve(window.ApexCharts);
  }

  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL("../lib/apexcharts/apexcharts.min.js", import.meta.url).href;
    script.async = true;
    script.onload = () => resolve(window.ApexCharts);
    script.onerror = () => {
      loading = undefined;
      reject(new Error("The chart library could not be loaded."));
    };
    document.head.appendChild(script);
  });
  return loading;
}

const charts = new WeakMap();

// Text, not markup. ApexCharts 4.7.0 writes the legend, the tooltip (title, series names, values, goals, z) and the
// toolbar with innerHTML, and the registry's labels (metric names, data sets, splits, units) are free text anyone
// with DataScientist may record. So every string that can reach one of those sinks leaves here escaped: the
// formatters below are installed on every chart and override any in the options, and options that are HTML by
// design are dropped. SVG text (axis labels and titles, annotations, data labels, title) is set as a text node by the
// library, so those strings go through unchanged and show as written. Only the chart types listed are drawn; others
// are not vetted (rangeBar, candlestick and boxPlot build tooltips of their own from raw names): read a type's sinks
// in the library's source, and extend ChartInjectionTests, before adding it here.
const TEXT_SAFE_TYPES = new Set(["line", "area", "bar", "scatter"]);
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `value` as HTML that shows it literally (arrays, as ApexCharts shows multi-line names, joined by a space). */
function text(value) {
  if (Array.isArray(value)) {
    return value.map(text).join(" ");
  }

  return value === null || value === undefined ? "" : String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// Only addresses on this site, by path: never a javascript: or another origin's URL from a chart's data. Browsers drop
// tabs and line breaks from a URL and read a backslash as "/", so "/<tab>/host" and "/\host" would leave the site too.
const sameSitePath = (href) => {
  const path = typeof href === "string" ? href.replace(/[\t\n\r]/g, "") : "";
  return path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\");
};

function refuseUnsafeTypes(options) {
  const types = [options.chart?.type ?? "line", ...(options.series ?? []).map((s) => s?.type).filter(Boolean)];
  const unsafe = types.find((t) => !TEXT_SAFE_TYPES.has(t));
  if (unsafe !== undefined) {
    throw new Error(`Chart type '${unsafe}' is not drawn: its labels are not known to reach the page as text.`);
  }
}

function dropMarkupOptions(options) {
  // Options whose value is HTML (or a function that returns HTML, which JSON cannot carry anyway).
  if (options.tooltip) {
    delete options.tooltip.custom;
  }

  if (options.legend) {
    delete options.legend.tooltipHoverFormatter;
    if (options.legend.markers) {
      delete options.legend.markers.customHTML;
    }
  }

  for (const point of options.annotations?.points ?? []) {
    delete point.customSVG;
  }

  const tools = options.chart?.toolbar?.tools;
  if (tools) {
    // A string here is an icon's HTML; true keeps the library's own icon.
    for (const [name, value] of Object.entries(tools)) {
      if (typeof value === "string") {
        tools[name] = true;
      }
    }

    tools.customIcons = [];
  }

  for (const locale of options.chart?.locales ?? []) {
    const toolbar = locale?.options?.toolbar;
    for (const key of Object.keys(toolbar ?? {})) {
      toolbar[key] = text(toolbar[key]);
    }
  }

  // Goals are written into the tooltip as an HTML string, name and colour included.
  for (const series of options.series ?? []) {
    for (const point of Array.isArray(series?.data) ? series.data : []) {
      for (const goal of Array.isArray(point?.goals) ? point.goals : []) {
        goal.name = text(goal.name);
        goal.strokeColor = text(goal.strokeColor);
      }
    }
  }
}

function withFormatters(options) {
  const hints = options.registry ?? {};
  delete options.registry;
  refuseUnsafeTypes(options);
  dropMarkupOptions(options);
  const decimals = hints.decimals ?? 4;
  const units = hints.units ?? [];
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: decimals });
  const format = (value, unit) =>
    value === null || value === undefined || Number.isNaN(value) ? "—" : number.format(value) + (unit ? ` ${unit}` : "");
  // A line chart with a tickAmount turns its categories into numbers 1…n, and tooltips get the number: show the category.
  const categories = options.xaxis?.categories ?? [];
  const category = (v, context) => {
    const index = context?.dataPointIndex;
    const label = typeof v === "number" && Number.isInteger(index) && index >= 0 && index < categories.length ? categories[index] : v;
    return text((hints.categoryPrefix && !String(label).startsWith(hints.categoryPrefix) ? hints.categoryPrefix : "") + label);
  };

  const axes = Array.isArray(options.yaxis) ? options.yaxis : [options.yaxis ?? {}];
  for (const axis of axes) {
    // Also the y-axis tooltip's text (HTML); a number formats to digits and separators only.
    axis.labels = { ...(axis.labels ?? {}), formatter: (v) => (typeof v === "number" ? format(v) : text(v)) };
  }
  options.yaxis = Array.isArray(options.yaxis) ? axes : axes[0];
  if (hints.links) {
    options.chart = options.chart ?? {};
    options.chart.events = {
      ...(options.chart.events ?? {}),
      markerClick: (_event, _context, { dataPointIndex }) => {
        const href = hints.links[dataPointIndex];
        if (sameSitePath(href)) {
          // Through Blazor's router when it is there, so the circuit stays up.
          window.Blazor?.navigateTo ? window.Blazor.navigateTo(href) : window.location.assign(href);
        }
      },
    };
  }

  options.legend = { ...(options.legend ?? {}), formatter: (name) => text(name) };
  options.xaxis = { ...(options.xaxis ?? {}) };
  options.xaxis.tooltip = { ...(options.xaxis.tooltip ?? {}), formatter: category };
  const tooltip = options.tooltip ?? {};
  options.tooltip = {
    ...tooltip,
    x: { ...(tooltip.x ?? {}), formatter: category },
    y: {
      formatter: (v, { seriesIndex }) => text(format(v, units[seriesIndex])),
      title: { formatter: (name) => (name ? `${text(name)}: ` : "") },
    },
    z: { formatter: (v) => text(v), title: text(tooltip.z?.title ?? "Size: ") },
  };
  return options;
}

/** Draws (or redraws) a chart into `element`. */
export async function render(element, options) {
  const ApexCharts = await library();
  destroy(element);
  const chart = new ApexCharts(element, withFormatters(options));
  charts.set(element, chart);
  await chart.render();
  element.dataset.rendered = "true";
}

/** Removes the chart from `element`, if it has one. */
export function destroy(element) {
  const chart = element && charts.get(element);
  if (chart) {
    chart.destroy();
    charts.delete(element);
  }
}
