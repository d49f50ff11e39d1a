// Our small interop over ApexCharts 4.7.0 (MIT; see docs/decisions/0006-charts.md). The library is restored from npm by
// the build into wwwroot/lib and loaded from our own origin as an ordinary script file: no CDN, no inline script, so a
// strict Content-Security-Policy (script-src 'self') keeps working.
//
// C# sends plain ApexCharts options plus an optional `registry` block of hints that need JavaScript functions:
//   registry.categoryPrefix  text put before each x-axis category in tooltips ("v" → "v3")
//   registry.units           one unit per series, appended to its values in tooltips and labels
//   registry.decimals        at most this many decimals on the y axis and in tooltips (default 4)
//   registry.links           one address per x-axis category: clicking a marker there opens it

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

function withFormatters(options) {
  const hints = options.registry ?? {};
  delete options.registry;
  const decimals = hints.decimals ?? 4;
  const units = hints.units ?? [];
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: decimals });
  const format = (value, unit) =>
    value === null || value === undefined || Number.isNaN(value) ? "—" : number.format(value) + (unit ? ` ${unit}` : "");

  const axes = Array.isArray(options.yaxis) ? options.yaxis : [options.yaxis ?? {}];
  for (const axis of axes) {
    axis.labels = { ...(axis.labels ?? {}), formatter: (v) => format(v) };
  }
  options.yaxis = Array.isArray(options.yaxis) ? axes : axes[0];
  if (hints.links) {
    options.chart = options.chart ?? {};
    options.chart.events = {
      ...(options.chart.events ?? {}),
      markerClick: (_event, _context, { dataPointIndex }) => {
        const href = hints.links[dataPointIndex];
        if (href) {
          // Through Blazor's router when it is there, so the circuit stays up.
          window.Blazor?.navigateTo ? window.Blazor.navigateTo(href) : window.location.assign(href);
        }
      },
    };
  }
  options.tooltip = {
    ...(options.tooltip ?? {}),
    x: { formatter: (v) => (hints.categoryPrefix && !String(v).startsWith(hints.categoryPrefix) ? hints.categoryPrefix : "") + v },
    y: { formatter: (v, { seriesIndex }) => format(v, units[seriesIndex]) },
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
