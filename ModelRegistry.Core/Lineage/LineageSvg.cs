using System.Globalization;
using System.Text;

namespace ModelRegistry.Core.Lineage;

/// <summary>
/// A lineage graph as a self-contained SVG image (the evidence pack's <c>lineage.svg</c>): the same layered layout as the
/// dashboard (<see cref="LineageService"/> computes it), boxes and arrows, no script, no links, no external resources.
/// Every label is XML-escaped, and characters XML 1.0 cannot hold are dropped, so a hostile name stays text.
/// </summary>
public static class LineageSvg
{
    private const double NodeWidth = 196;
    private const double NodeHeight = 54;
    private const double Margin = 24;

    public static string Render(LineageGraph graph)
    {
        var minX = graph.Nodes.Min(n => n.X) - NodeWidth / 2 - Margin;
        var minY = graph.Nodes.Min(n => n.Y) - NodeHeight / 2 - Margin;
        var width = graph.Nodes.Max(n => n.X) + NodeWidth / 2 + Margin - minX;
        var height = graph.Nodes.Max(n => n.Y) + NodeHeight / 2 + Margin - minY;
        var title = $"Lineage of {graph.ModelName} v{graph.Number}";
        var s = new StringBuilder(4096);
        s.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" role=\"img\" aria-labelledby=\"lineage-title\" width=\"")
            .Append(N(width)).Append("\" height=\"").Append(N(height)).Append("\" viewBox=\"0 0 ").Append(N(width)).Append(' ')
            .Append(N(height)).Append("\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\">\n")
            .Append("<title id=\"lineage-title\">").Append(Escape(title)).Append("</title>\n")
            .Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">")
            .Append("<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#5b6475\"/></marker></defs>\n")
            .Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");

        var byId = graph.Nodes.ToDictionary(n => n.Id);
        foreach (var e in graph.Edges)
        {
            var (from, to) = (byId[e.From], byId[e.To]);
            var (x1, y1) = (from.X - minX + NodeWidth / 2, from.Y - minY);
            var (x2, y2) = (to.X - minX - NodeWidth / 2, to.Y - minY);
            if (from.Column == to.Column)
            {
                // Inside one column (never made today, but cheap to draw right): from the bottom of one box to the top of the other.
                (x1, y1, x2, y2) = (from.X - minX, from.Y - minY + NodeHeight / 2, to.X - minX, to.Y - minY - NodeHeight / 2);
            }

            var mid = (x1 + x2) / 2;
            s.Append("<path d=\"M ").Append(N(x1)).Append(' ').Append(N(y1)).Append(" C ").Append(N(mid)).Append(' ').Append(N(y1))
                .Append(", ").Append(N(mid)).Append(' ').Append(N(y2)).Append(", ").Append(N(x2)).Append(' ').Append(N(y2))
                .Append("\" fill=\"none\" stroke=\"#8a93a5\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"><title>")
                .Append(Escape($"{from.Label} → {to.Label}: {e.Label}")).Append("</title></path>\n");
        }

        foreach (var n in graph.Nodes)
        {
            var (fill, stroke) = Colours(n.Kind);
            var x = n.X - minX - NodeWidth / 2;
            var y = n.Y - minY - NodeHeight / 2;
            s.Append("<g class=\"node ").Append(n.Kind.ToString().ToLowerInvariant()).Append("\"><rect x=\"").Append(N(x)).Append("\" y=\"")
                .Append(N(y)).Append("\" width=\"").Append(N(NodeWidth)).Append("\" height=\"").Append(N(NodeHeight))
                .Append("\" rx=\"8\" fill=\"").Append(fill).Append("\" stroke=\"").Append(stroke)
                .Append(n.Kind == LineageNodeKind.Current ? "\" stroke-width=\"3\"/>" : "\" stroke-width=\"1.5\"/>");
            s.Append("<text x=\"").Append(N(x + 10)).Append("\" y=\"").Append(N(y + 16)).Append("\" font-size=\"10\" fill=\"#4a5263\">")
                .Append(Escape(LineageGraph.KindName(n.Kind))).Append("</text>");
            s.Append("<text x=\"").Append(N(x + 10)).Append("\" y=\"").Append(N(y + 32)).Append("\" font-size=\"13\" font-weight=\"600\" fill=\"#1d2330\">")
                .Append(Escape(Fit(n.Label, 24))).Append("</text>");
            if (n.Detail is { } detail)
            {
                s.Append("<text x=\"").Append(N(x + 10)).Append("\" y=\"").Append(N(y + 46)).Append("\" font-size=\"10.5\" fill=\"#4a5263\">")
                    .Append(Escape(Fit(detail, 32))).Append("</text>");
            }

            s.Append("<title>").Append(Escape(n.Detail is null ? n.Label : $"{n.Label} ({n.Detail})")).Append("</title></g>\n");
        }

        s.Append("</svg>\n");
        return s.ToString();
    }

    /// <summary>Text for XML content and attribute values: the five specials escaped, characters XML 1.0 forbids dropped.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                case '\t' or '\n' or '\r': sb.Append(' '); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if (c >= 0x20 && !char.IsSurrogate(c) && c is not ('\uFFFE' or '\uFFFF'))
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    private static string Fit(string text, int max) =>
        text.Length <= max ? text : string.Concat(text.AsSpan(0, char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1), "…");

    private static (string Fill, string Stroke) Colours(LineageNodeKind kind) => kind switch
    {
        LineageNodeKind.Current => ("#e8eaf6", "#3f51b5"),
        LineageNodeKind.BaseModel => ("#f3e5f5", "#7b1fa2"),
        LineageNodeKind.Dataset => ("#e0f2f1", "#00796b"),
        LineageNodeKind.Deployment => ("#fff3e0", "#e65100"),
        _ => ("#f6f7fb", "#5b6475"),
    };

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
