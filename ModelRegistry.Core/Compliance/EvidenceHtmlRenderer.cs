using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Lineage;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Compliance;

/// <summary>
/// The evidence pack as one self-contained, printable HTML document: inline styles, no script, no remote resources
/// (a Content-Security-Policy in the document forbids both), every value HTML-encoded. The model card is embedded as
/// the sanitised HTML the dashboard shows (<see cref="Cards.CardRenderer"/>), never as the author's raw markup.
/// </summary>
public static class EvidenceHtmlRenderer
{
    private const string Styles = """
        :root { color-scheme: light; }
        body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 2rem auto; max-width: 1100px; padding: 0 1.5rem; }
        h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.25rem; border-bottom: 2px solid #3f51b5; padding-bottom: .2rem; margin-top: 2.2rem; }
        h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
        .subtitle { color: #5b6475; margin: 0 0 1rem; }
        .summary { border: 1px solid #c9cfdb; border-radius: 6px; padding: .8rem 1rem; background: #f6f7fb; }
        .ok { color: #1b5e20; font-weight: 600; }
        .broken { color: #b71c1c; font-weight: 600; }
        dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.2rem; margin: .4rem 0; }
        dl.kv dt { color: #5b6475; }
        dl.kv dd { margin: 0; overflow-wrap: anywhere; }
        table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: 13px; }
        th, td { border: 1px solid #d5dae3; padding: .3rem .45rem; text-align: left; vertical-align: top; }
        th { background: #eef0f6; }
        .mono, code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
        td.mono { overflow-wrap: anywhere; }
        td.nowrap { white-space: nowrap; }
        pre.data { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; max-width: 34rem; }
        .card { border: 1px solid #d5dae3; border-radius: 6px; padding: .2rem 1.2rem; }
        .card img { max-width: 100%; }
        .request { border: 1px solid #d5dae3; border-radius: 6px; padding: .4rem 1rem; margin: .6rem 0; break-inside: avoid; }
        .muted { color: #5b6475; }
        figure.lineage { margin: .4rem 0 1rem; overflow-x: auto; }
        figure.lineage svg { max-width: 100%; height: auto; border: 1px solid #d5dae3; border-radius: 6px; }
        blockquote.comment { margin: .3rem 0; padding: .2rem .8rem; border-left: 3px solid #c9cfdb; white-space: pre-wrap; }
        footer { margin-top: 2.5rem; color: #5b6475; font-size: 12px; }
        @media print {
          body { margin: 0; max-width: none; font-size: 11px; }
          h2 { break-after: avoid; }
          tr, .request, .summary { break-inside: avoid; }
          a { color: inherit; text-decoration: none; }
        }
        """;

    public static string Render(EvidencePack pack)
    {
        var h = new StringBuilder(16 * 1024);
        var v = pack.Version;
        var title = $"Evidence pack — {pack.Model.DisplayName} v{v.Number}";
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"generator\" content=\"Model Registry for LLMs\">\n")
            .Append("<title>").Append(E(title)).Append("</title>\n<style>\n").Append(Styles).Append("</style>\n</head>\n<body>\n");

        h.Append("<header>\n<h1>").Append(E(title)).Append("</h1>\n<p class=\"subtitle\"><span class=\"mono\">")
            .Append(E(pack.Model.Name)).Append('/').Append(v.Number).Append("</span> · stage ").Append(E(v.Stage.ToString()))
            .Append(" · exported ").Append(E(Time(pack.Export.ExportedAt))).Append(" by ").Append(E(pack.Export.ExportedBy)).Append("</p>\n");
        Chain(h, pack.Export, "chain-summary");
        h.Append("</header>\n");

        Card(h, pack);
        Metadata(h, pack);
        Files(h, pack);
        Evaluations(h, pack);
        Lifecycle(h, pack);
        Deployments(h, pack);
        AuditSlice(h, pack);

        h.Append("<section id=\"chain\">\n<h2>8. Chain head and verification</h2>\n");
        Chain(h, pack.Export, "chain-detail");
        h.Append("<p>Each audit event's <code>hash</code> is the SHA-256 of its canonical form, which includes the previous event's hash ")
            .Append("(see <em>docs/audit.md</em> of the registry). Keep this chain head outside the registry: a later verification that still ")
            .Append("contains event ").Append(pack.Export.Verification.HeadSequence).Append(" with this hash proves the trail up to it ")
            .Append("was neither rewritten nor truncated.</p>\n</section>\n");
        h.Append("<footer>Generated by Model Registry for LLMs. This document contains no script and loads nothing from the network.</footer>\n");
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    private static void Chain(StringBuilder h, EvidenceExport export, string id)
    {
        var verification = export.Verification;
        h.Append("<div class=\"summary\" id=\"").Append(id).Append("\">\n<dl class=\"kv\">\n")
            .Append("<dt>Exported at</dt><dd>").Append(E(Time(export.ExportedAt))).Append("</dd>\n")
            .Append("<dt>Exported by</dt><dd>").Append(E(export.ExportedBy)).Append("</dd>\n")
            .Append("<dt>Recorded as</dt><dd>audit event ").Append(export.ExportSequence).Append(" (<code>evidence.exported</code>)</dd>\n")
            .Append("<dt>Chain verification</dt><dd>");
        if (verification.Valid)
        {
            h.Append("<span class=\"ok\">Intact</span> — ").Append(verification.Events.ToString("N0", CultureInfo.InvariantCulture))
                .Append(" events recomputed at export time");
        }
        else
        {
            h.Append("<span class=\"broken\">Broken at event ").Append(verification.FirstBrokenSequence).Append("</span> — ")
                .Append(verification.Events.ToString("N0", CultureInfo.InvariantCulture)).Append(" events checked; an event from there on was changed or removed outside the registry");
        }

        h.Append("</dd>\n<dt>Chain head</dt><dd>event ").Append(verification.HeadSequence)
            .Append(", <code class=\"head-hash\">").Append(E(verification.HeadHash)).Append("</code></dd>\n</dl>\n</div>\n");
    }

    private static void Card(StringBuilder h, EvidencePack pack)
    {
        h.Append("<section id=\"card\">\n<h2>1. Model card</h2>\n");
        if (pack.Card is null)
        {
            h.Append("<p class=\"muted\">This version has no model card.</p>\n</section>\n");
            return;
        }

        var r = pack.Card.Revision;
        h.Append("<p class=\"muted\">Revision ").Append(r.Revision).Append(" by ").Append(E(r.Author)).Append(", ").Append(E(Time(r.CreatedAt)))
            .Append(r.Comment is null ? "" : " — " + E(r.Comment)).Append(" · SHA-256 <code>").Append(E(r.Sha256)).Append("</code></p>\n")
            // Sanitised by CardRenderer (allow-listed tags and attributes, http/https/mailto links only): safe to embed as is.
            .Append("<div class=\"card\">\n").Append(pack.CardHtml).Append("\n</div>\n</section>\n");
    }

    private static void Metadata(StringBuilder h, EvidencePack pack)
    {
        var v = pack.Version;
        h.Append("<section id=\"metadata\">\n<h2>2. Metadata and lineage</h2>\n<dl class=\"kv\">\n");
        foreach (var (label, value) in EvidenceFacts.Metadata(pack))
        {
            h.Append("<dt>").Append(E(label)).Append("</dt><dd>").Append(E(value)).Append("</dd>\n");
        }

        h.Append("</dl>\n<h3>Training data</h3>\n");
        if (v.Datasets.Count == 0)
        {
            h.Append("<p class=\"muted\">No training data sets recorded.</p>\n");
        }
        else
        {
            Table(h, EvidenceFacts.Datasets(pack), monoFrom: 3);
        }

        if (pack.Lineage is { } lineage)
        {
            // The SVG is made by the registry with every label XML-escaped (LineageSvg), so it is embedded as it is.
            h.Append("<h3>Lineage graph</h3>\n<figure class=\"lineage\" id=\"lineage\">\n").Append(LineageSvg.Render(lineage))
                .Append("<figcaption class=\"muted\">lineage.svg — ").Append(E(EvidenceFacts.LineageCaption(lineage))).Append("</figcaption>\n</figure>\n");
            Table(h, EvidenceFacts.LineageEdges(lineage));
        }

        h.Append("</section>\n");
    }

    private static void Files(StringBuilder h, EvidencePack pack)
    {
        h.Append("<section id=\"files\">\n<h2>3. Files</h2>\n");
        if (pack.Files.Count == 0)
        {
            h.Append("<p class=\"muted\">No files.</p>\n</section>\n");
            return;
        }

        Table(h, EvidenceFacts.Files(pack, sizeFormat: "N0"), monoFrom: 4);
        h.Append("</section>\n");
    }

    private static void Evaluations(StringBuilder h, EvidencePack pack)
    {
        h.Append("<section id=\"evaluation\">\n<h2>4. Evaluation results</h2>\n");
        if (pack.Evaluations.Count == 0)
        {
            h.Append("<p class=\"muted\">No evaluation results.</p>\n</section>\n");
            return;
        }

        Table(h, EvidenceFacts.Evaluations(pack));
        h.Append("</section>\n");
    }

    private static void Lifecycle(StringBuilder h, EvidencePack pack)
    {
        h.Append("<section id=\"lifecycle\">\n<h2>5. Stage history and transition requests</h2>\n");
        if (pack.StageHistory.Count == 0)
        {
            h.Append("<p class=\"muted\">The version has never changed stage.</p>\n");
        }
        else
        {
            Table(h, EvidenceFacts.StageHistory(pack));
        }

        if (pack.Requests.Count == 0)
        {
            h.Append("<p class=\"muted\">No transition requests.</p>\n");
        }

        foreach (var r in pack.Requests)
        {
            h.Append("<div class=\"request\" id=\"request-").Append(r.Id).Append("\">\n<h3>Request #").Append(r.Id).Append(": ")
                .Append(E(r.FromStage.ToString())).Append(" → ").Append(E(r.ToStage.ToString())).Append(" — ").Append(E(r.Status.ToString()))
                .Append("</h3>\n<dl class=\"kv\">\n<dt>Requested</dt><dd>").Append(E(Time(r.RequestedAt))).Append(" by ").Append(E(r.RequestedBy))
                .Append("</dd>\n<dt>Justification</dt><dd>").Append(E(r.Justification ?? "—")).Append("</dd>\n");
            if (r.DecidedAt is { } decided)
            {
                h.Append("<dt>Decided</dt><dd>").Append(E(Time(decided))).Append(" by ").Append(E(r.DecidedBy ?? "—"))
                    .Append("</dd>\n<dt>Decision comment</dt><dd>").Append(E(r.DecisionComment ?? "—")).Append("</dd>\n");
            }

            h.Append("</dl>\n");
            if (r.Approvals.Count > 0)
            {
                h.Append("<p><strong>Approvals</strong></p>\n");
                Table(h, EvidenceFacts.Approvals(r));
            }

            if (r.Comments.Count > 0)
            {
                h.Append("<p><strong>Discussion</strong></p>\n");
                foreach (var c in r.Comments)
                {
                    h.Append("<p class=\"muted\">").Append(E(c.Author)).Append(", ").Append(E(Time(c.At))).Append("</p>\n")
                        .Append("<blockquote class=\"comment\">").Append(E(c.Text)).Append("</blockquote>\n");
                }
            }

            h.Append("</div>\n");
        }

        Attestations(h, pack);
        h.Append("</section>\n");
    }

    private static void Attestations(StringBuilder h, EvidencePack pack)
    {
        h.Append("<div id=\"attestations\">\n<h3>Signed approval attestations</h3>\n<p class=\"muted\">")
            .Append(E(EvidenceFacts.AttestationsIntro)).Append("</p>\n");
        if (pack.Attestations.Count == 0)
        {
            h.Append("<p class=\"muted\">No attestations: no request into Staging or Production has been approved since the registry signs them.</p>\n");
        }
        else
        {
            Table(h, EvidenceFacts.Attestations(pack), monoFrom: 4);
            foreach (var a in pack.Attestations)
            {
                h.Append("<p><strong>Envelope of attestation ").Append(a.Id).Append("</strong></p>\n<pre class=\"data envelope\">")
                    .Append(E(Signing.Dsse.SerializeIndented(a.Envelope))).Append("</pre>\n");
            }
        }

        h.Append("<h3>Signing keys</h3>\n");
        foreach (var key in pack.SigningKeys)
        {
            h.Append("<p>Key id <code>").Append(E(key.KeyId)).Append("</code> (").Append(key.Current ? "current" : "previous")
                .Append(")</p>\n<pre class=\"data public-key\">").Append(E(key.PublicKeyPem)).Append("</pre>\n");
        }

        h.Append("</div>\n");
    }

    private static void Deployments(StringBuilder h, EvidencePack pack)
    {
        h.Append("<section id=\"deployments\">\n<h2>6. Deployments</h2>\n");
        if (pack.Deployments.Count == 0)
        {
            h.Append("<p class=\"muted\">No deployments recorded.</p>\n</section>\n");
            return;
        }

        Table(h, EvidenceFacts.Deployments(pack));
        h.Append("</section>\n");
    }

    private static void AuditSlice(StringBuilder h, EvidencePack pack)
    {
        h.Append("<section id=\"audit\">\n<h2>7. Audit trail of this version</h2>\n<p class=\"muted\">")
            .Append(pack.AuditSlice.Count.ToString("N0", CultureInfo.InvariantCulture))
            .Append(" events: the version's own, its files', its transition requests' and its deployments', in sequence order.</p>\n");
        h.Append("<table>\n<thead><tr><th>#</th><th>Time (UTC)</th><th>Actor</th><th>Action</th><th>Entity</th><th>Data</th><th>Hash</th></tr></thead>\n<tbody>\n");
        foreach (var e in pack.AuditSlice)
        {
            h.Append("<tr><td class=\"mono nowrap\">").Append(e.Sequence).Append("</td><td>").Append(E(Time(e.Time))).Append("</td><td>")
                .Append(E(e.ActorName)).Append("</td><td><code>").Append(E(e.Action)).Append("</code></td><td class=\"mono\">")
                .Append(E($"{e.EntityType} {e.EntityId}")).Append("</td><td><pre class=\"data\">").Append(E(Pretty(e.Data)))
                .Append("</pre></td><td class=\"mono\">").Append(E(e.Hash)).Append("</td></tr>\n");
        }

        h.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Table(StringBuilder h, EvidenceFacts.Grid grid, int monoFrom = int.MaxValue) =>
        Table(h, grid.Headers, grid.Rows, monoFrom);

    private static void Table(StringBuilder h, string[] headers, IEnumerable<string[]> rows, int monoFrom = int.MaxValue)
    {
        h.Append("<table>\n<thead><tr>");
        foreach (var header in headers)
        {
            h.Append("<th>").Append(E(header)).Append("</th>");
        }

        h.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            h.Append("<tr>");
            for (var i = 0; i < row.Length; i++)
            {
                h.Append(i >= monoFrom ? "<td class=\"mono\">" : "<td>").Append(E(row[i])).Append("</td>");
            }

            h.Append("</tr>\n");
        }

        h.Append("</tbody>\n</table>\n");
    }

    private static string Pretty(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, EvidenceFacts.IndentedJson);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Time(DateTimeOffset time) => EvidenceFacts.Time(time);
}

/// <summary>Facts and spellings both renderers share, so the HTML and markdown packs say the same things.</summary>
internal static class EvidenceFacts
{
    /// <summary>Indented, and with non-ASCII and markup characters left as they are (the renderers escape for their format).</summary>
    public static readonly JsonSerializerOptions IndentedJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("G10", CultureInfo.InvariantCulture);

    /// <summary>A table both renderers draw: column headings and rows of plain text (each renderer escapes for its format).</summary>
    public sealed record Grid(string[] Headers, IEnumerable<string[]> Rows);

    /// <summary>What the lineage figure leaves out, in words (parents beyond the cap, a parent chain that loops).</summary>
    public static string LineageCaption(LineageGraph g)
    {
        var notes = new List<string> { $"{g.Nodes.Count} nodes, {g.Edges.Count} edges" };
        if (g.OmittedAncestors > 0)
        {
            notes.Add("earlier parent versions not drawn");
        }

        if (g.OmittedAfter > 0)
        {
            notes.Add($"{g.OmittedAfter} later versions, deployments or derived models not drawn");
        }

        if (g.CycleAt is { } at)
        {
            notes.Add($"the parent chain loops back to version {at}");
        }

        return string.Join("; ", notes);
    }

    /// <summary>The graph's edges as rows (from, relation, to), for readers of the text and of the Markdown pack.</summary>
    public static Grid LineageEdges(LineageGraph g) => new(["From", "Relation", "To"],
        g.Edges.Select(e => (From: g.Node(e.From), e.Label, To: g.Node(e.To)))
            .Select(e => new[] { Describe(e.From), e.Label, Describe(e.To) }));

    private static string Describe(LineageNode n) =>
        $"{LineageGraph.KindName(n.Kind)}: {n.Label}{(n.Detail is null ? "" : $" ({n.Detail})")}";

    public static Grid Datasets(EvidencePack pack) => new(["Name", "Version", "Split", "URI", "SHA-256"],
        pack.Version.Datasets.Select(d => new[] { d.Name, d.Version ?? "—", d.Split ?? "—", d.Uri ?? "—", d.Sha256 ?? "—" }));

    /// <param name="sizeFormat">How sizes are written: digit groups in HTML ("N0"), plain digits in Markdown.</param>
    public static Grid Files(EvidencePack pack, string? sizeFormat = null) => new(["Path", "Size (bytes)", "Uploaded", "Flags", "SHA-256"],
        pack.Files.Select(f => new[]
        {
            f.Path, f.Size.ToString(sizeFormat, CultureInfo.InvariantCulture), $"{Time(f.UploadedAt)} by {f.UploadedBy}",
            f.Flags.Count == 0 ? "—" : string.Join("; ", f.Flags), f.Sha256,
        }));

    public static Grid Evaluations(EvidencePack pack) => new(["Metric", "Value", "Data set", "Split", "Better", "Source", "Recorded"],
        pack.Evaluations.Select(e => new[]
        {
            e.Name, Number(e.Value) + (e.Unit is null ? "" : " " + e.Unit), e.Dataset ?? "—", e.Split ?? "—",
            e.HigherIsBetter ? "higher" : "lower", e.Source.ToString(), $"{Time(e.RecordedAt)} by {e.RecordedBy}",
        }));

    public static Grid StageHistory(EvidencePack pack) => new(["When", "From", "To", "By", "Request", "Reason"],
        pack.StageHistory.Select(c => new[]
        {
            Time(c.At), c.FromStage.ToString(), c.ToStage.ToString(), c.By, c.RequestId is { } id ? $"#{id}" : "—", c.Reason ?? "—",
        }));

    public static Grid Approvals(Lifecycle.TransitionRequestInfo request) => new(["When", "Reviewer", "Comment"],
        request.Approvals.Select(a => new[] { Time(a.At), a.Reviewer, a.Comment ?? "—" }));

    public const string AttestationsIntro =
        "Each final approval into Staging or Production is signed by the registry: an in-toto statement listing every file " +
        "(path and SHA-256) with the version digest, requester, approvers and the gates that passed, in a DSSE envelope " +
        "signed with ECDSA P-256. Verify an envelope offline with the signing key below (docs/attestations.md of the registry).";

    public static Grid Attestations(EvidencePack pack) => new(["Signed", "Request", "Stage", "Approved by", "Key id", "Payload SHA-256"],
        pack.Attestations.Select(a => new[]
        {
            Time(a.CreatedAt), $"#{a.RequestId}", a.FromStage is { } from && a.ToStage is { } to ? $"{from} → {to}" : "—",
            a.Approvers.Count == 0 ? "—" : string.Join("; ", a.Approvers.Select(p => p.At is { } at ? $"{p.Reviewer}, {Time(at)}" : p.Reviewer)),
            a.KeyId, PayloadSha256(a.Envelope),
        }));

    /// <summary>The SHA-256 of an envelope's payload bytes (what the <c>attestation.signed</c> audit event records).</summary>
    public static string PayloadSha256(Signing.DsseEnvelope envelope)
    {
        try
        {
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Convert.FromBase64String(envelope.Payload)));
        }
        catch (FormatException)
        {
            return "—";
        }
    }

    public static Grid Deployments(EvidencePack pack) => new(["When", "Environment", "Status", "Target", "External reference", "By", "Notes"],
        pack.Deployments.Select(d => new[]
        {
            Time(d.DeployedAt), d.Environment, d.Status.ToString(), d.Target ?? "—", d.ExternalRef ?? "—", d.DeployedBy, d.Notes ?? "—",
        }));

    /// <summary>The metadata and lineage rows of a version, label and value.</summary>
    public static IEnumerable<(string Label, string Value)> Metadata(EvidencePack pack)
    {
        var v = pack.Version;
        static string Or(string? s) => string.IsNullOrWhiteSpace(s) ? "—" : s;
        yield return ("Model", $"{pack.Model.DisplayName} ({pack.Model.Name})");
        yield return ("Task", Or(pack.Model.Task));
        yield return ("Owner", Or(pack.Model.Owner));
        yield return ("Version", v.Number.ToString(CultureInfo.InvariantCulture));
        yield return ("Stage", v.Stage.ToString());
        yield return ("Aliases", pack.Aliases is { Count: > 0 } aliases ? string.Join(", ", aliases) : "—");
        yield return ("Created", $"{Time(v.CreatedAt)} by {v.CreatedBy}");
        yield return ("Last changed", Time(v.UpdatedAt));
        yield return ("Source", Or(v.Source));
        yield return ("Description", Or(v.Description));
        yield return ("Derived from", v.ParentVersion is { } p ? $"version {p}" : "—");
        yield return ("Base model", Or(v.BaseModel));
        yield return ("Architecture", Or(v.Architecture));
        yield return ("Parameters", v.ParameterCount is { } n ? n.ToString("N0", CultureInfo.InvariantCulture) : "—");
        yield return ("Context length", v.ContextLength is { } c ? c.ToString("N0", CultureInfo.InvariantCulture) : "—");
        yield return ("Quantization", Or(v.Quantization));
        yield return ("Weight format", v.Format == WeightFormat.Unknown ? "—" : v.Format.ToString());
        yield return ("Licence", Or(v.License));
        yield return ("Tags", v.Tags.Count == 0 ? "—" : string.Join(", ", v.Tags));
    }
}
