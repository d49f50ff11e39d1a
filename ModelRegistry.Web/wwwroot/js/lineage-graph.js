// Our small interop over Cytoscape.js 3.34.4 (MIT; see docs/decisions/0030-lineage-graph.md). The library is restored
// from npm by the build into wwwroot/lib and loaded from our own origin as an ordinary script file: no CDN, no inline
// script, so the Content-Security-Policy (script-src 'self') keeps working.
//
// C# sends the graph Core built (LineageService): nodes with a kind, a label, an optional detail and link, and a
// position (Core lays the graph out, so the dashboard and the evidence pack's SVG look the same); edges with a label.
// Cytoscape draws every label on a <canvas> as text, so names are passed raw and can never become markup. A click on a
// node opens its link, but only a path on this site ("/models/…", "/deployments?…").

let loading;

function library() {
  if (window.cytoscape) {
    return Promise.resolve(window.cytoscape);
  }

  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL("../lib/cytoscape/cytoscape.min.js", import.meta.url).href;
    script.async = true;
    script.onload = () => resolve(window.cytoscape);
    script.onerror = () => {
      loading = undefined;
      reject(new Error("The graph library could not be loaded."));
    };
    document.head.appendChild(script);
  });
  return loading;
}

const graphs = new WeakMap();

// Only addresses on this site, by path (as in apex-chart.js): never a javascript: URL or another origin.
const sameSitePath = (href) => {
  const path = typeof href === "string" ? href.replace(/[\t\n\r]/g, "") : "";
  return path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\");
};

/** A theme colour (a MudBlazor CSS variable) as rgb(), which Cytoscape parses; `fallback` when it is not set. */
function colour(element, variable, fallback) {
  const probe = document.createElement("span");
  probe.style.color = `var(${variable}, ${fallback})`;
  probe.style.display = "none";
  element.appendChild(probe);
  const value = getComputedStyle(probe).color;
  probe.remove();
  return value || fallback;
}

const KIND_VARIABLES = {
  Current: ["--mud-palette-primary", "#3f51b5"],
  BaseModel: ["--mud-palette-secondary", "#7b1fa2"],
  Dataset: ["--mud-palette-success", "#00796b"],
  Deployment: ["--mud-palette-warning", "#e65100"],
};

function style(element) {
  const text = colour(element, "--mud-palette-text-primary", "#1d2330");
  const surface = colour(element, "--mud-palette-surface", "#ffffff");
  const lines = colour(element, "--mud-palette-text-secondary", "#5b6475");
  const rules = [
    {
      selector: "node",
      style: {
        shape: "round-rectangle",
        width: 196,
        height: 54,
        "background-color": surface,
        "border-width": 1.5,
        "border-color": lines,
        label: "data(label)",
        color: text,
        "font-size": 12,
        "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        "text-wrap": "wrap",
        "text-max-width": 180,
        "text-valign": "center",
        "text-halign": "center",
      },
    },
    { selector: "node[link]", style: { cursor: "pointer" } },
    {
      selector: "edge",
      style: {
        width: 1.5,
        "curve-style": "bezier",
        "line-color": lines,
        "target-arrow-color": lines,
        "target-arrow-shape": "triangle",
        label: "data(label)",
        "font-size": 10,
        color: lines,
        "text-background-color": surface,
        "text-background-opacity": 1,
        "text-background-padding": 2,
        "text-rotation": "autorotate",
      },
    },
  ];
  for (const [kind, [variable, fallback]] of Object.entries(KIND_VARIABLES)) {
    rules.push({ selector: `node[kind = "${kind}"]`, style: { "border-color": colour(element, variable, fallback) } });
  }

  rules.push({ selector: 'node[kind = "Current"]', style: { "border-width": 3, "font-weight": "bold" } });
  return rules;
}

export async function render(element, graph) {
  const cytoscape = await library();
  destroy(element);
  const elements = [
    ...graph.nodes.map((n) => ({
      group: "nodes",
      data: {
        id: n.id,
        kind: n.kind,
        // Plain text: Cytoscape draws it on the canvas.
        label: n.detail ? `${n.label}\n${n.detail}` : n.label,
        ...(sameSitePath(n.link) ? { link: n.link } : {}),
      },
      position: { x: n.x, y: n.y },
    })),
    ...graph.edges.map((e, i) => ({ group: "edges", data: { id: `e${i}`, source: e.from, target: e.to, label: e.label } })),
  ];
  const cy = cytoscape({
    container: element,
    elements,
    style: style(element),
    layout: { name: "preset", fit: true, padding: 24 },
    minZoom: 0.25,
    maxZoom: 2,
    boxSelectionEnabled: false,
    autoungrabify: true,
    autounselectify: true,
  });
  cy.on("tap", "node", (event) => {
    const href = event.target.data("link");
    if (sameSitePath(href)) {
      window.Blazor?.navigateTo ? window.Blazor.navigateTo(href) : window.location.assign(href);
    }
  });
  // The tab holding the graph may be hidden (no size) when it is drawn: fit it whenever its box changes size.
  const observer = new ResizeObserver(() => {
    if (element.clientWidth > 0 && element.clientHeight > 0) {
      cy.resize();
      cy.fit(undefined, 24);
    }
  });
  observer.observe(element);
  cy.scratch("registryObserver", observer);
  graphs.set(element, cy);
  element.dataset.nodes = String(cy.nodes().length);
  // For tests and tools: where a node is drawn, in CSS pixels from the container's top left.
  element.lineagePositionOf = (id) => {
    const p = cy.getElementById(id).renderedPosition();
    return { x: p.x, y: p.y };
  };
}

export function destroy(element) {
  const cy = graphs.get(element);
  if (cy) {
    cy.scratch("registryObserver")?.disconnect();
    cy.destroy();
    graphs.delete(element);
  }
}
