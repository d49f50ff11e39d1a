using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Lineage;

namespace ModelRegistry.Core.Compliance;

/// <summary>
/// The evidence pack as GitHub-flavoured markdown. Every value written into text or a table cell is escaped (markdown
/// punctuation, <c>|</c>, HTML's <c>&lt;</c>, <c>&gt;</c> and <c>&amp;</c>; line breaks become <c>&lt;br&gt;</c>), so a
/// hostile name or comment can neither break a table nor become a link, an image or markup in a markdown viewer.
/// The model card is quoted verbatim in a fenced block longer than any fence inside it: exact, and never rendered.
/// </summary>
public static class EvidenceMarkdownRenderer
{
    public static string Render(EvidencePack pack)
    {
        var m = new StringBuilder(16 * 1024);
        var v = pack.Version;
        m.Append("# Evidence pack — ").Append(Text(pack.Model.DisplayName)).Append(" v").Append(v.Number).Append("\n\n")
            .Append('`').Append(pack.Model.Name).Append('/').Append(v.Number).Append("` · stage ").Append(v.Stage)
            .Append(" · exported ").Append(Text(EvidenceFacts.Time(pack.Export.ExportedAt))).Append(" by ").Append(Text(pack.Export.ExportedBy))
            .Append("\n\n");
        Chain(m, pack.Export);

        m.Append("## 1. Model card\n\n");
        if (pack.Card is null)
        {
            m.Append("This version has no model card.\n\n");
        }
        else
        {
            var r = pack.Card.Revision;
            m.Append("Revision ").Append(r.Revision).Append(" by ").Append(Text(r.Author)).Append(", ").Append(Text(EvidenceFacts.Time(r.CreatedAt)))
                .Append(r.Comment is null ? "" : " — " + Text(r.Comment)).Append(" · SHA-256 `").Append(r.Sha256).Append("`\n\n");
            var fence = new string('`', Math.Max(3, LongestRun(pack.Card.Markdown, '`') + 1));
            m.Append(fence).Append("markdown\n").Append(pack.Card.Markdown.TrimEnd('\n', '\r')).Append('\n').Append(fence).Append("\n\n");
        }

        m.Append("## 2. Metadata and lineage\n\n");
        Table(m, ["Field", "Value"], EvidenceFacts.Metadata(pack).Select(f => new[] { f.Label, f.Value }));
        m.Append("### Training data\n\n");
        if (v.Datasets.Count == 0)
        {
            m.Append("No training data sets recorded.\n\n");
        }
        else
        {
            Table(m, EvidenceFacts.Datasets(pack));
        }

        if (pack.Lineage is { } lineage)
        {
            // The image travels inside the pack as a data URI (lineage.svg): one file, nothing fetched.
            m.Append("### Lineage graph\n\n![lineage.svg — ").Append(Text(EvidenceFacts.LineageCaption(lineage)))
                .Append("](data:image/svg+xml;base64,").Append(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(LineageSvg.Render(lineage))))
                .Append(")\n\n");
            Table(m, EvidenceFacts.LineageEdges(lineage));
        }

        m.Append("## 3. Files\n\n");
        if (pack.Files.Count == 0)
        {
            m.Append("No files.\n\n");
        }
        else
        {
            Table(m, EvidenceFacts.Files(pack));
        }

        m.Append("## 4. Evaluation results\n\n");
        if (pack.Evaluations.Count == 0)
        {
            m.Append("No evaluation results.\n\n");
        }
        else
        {
            Table(m, EvidenceFacts.Evaluations(pack));
        }

        Lifecycle(m, pack);

        m.Append("## 6. Deployments\n\n");
        if (pack.Deployments.Count == 0)
        {
            m.Append("No deployments recorded.\n\n");
        }
        else
        {
            Table(m, EvidenceFacts.Deployments(pack));
        }

        m.Append("## 7. Audit trail of this version\n\n")
            .Append(pack.AuditSlice.Count.ToString(CultureInfo.InvariantCulture))
            .Append(" events: the version's own, its files', its transition requests' and its deployments', in sequence order.\n\n");
        Table(m, ["#", "Time (UTC)", "Actor", "Action", "Entity", "Data", "Hash"], pack.AuditSlice.Select(e => new[]
        {
            e.Sequence.ToString(CultureInfo.InvariantCulture), EvidenceFacts.Time(e.Time), e.ActorName, e.Action,
            $"{e.EntityType} {e.EntityId}", Compact(e.Data), e.Hash,
        }));

        m.Append("## 8. Chain head and verification\n\n");
        Chain(m, pack.Export);
        m.Append("Each audit event's hash is the SHA-256 of its canonical form, which includes the previous event's hash (see docs/audit.md ")
            .Append("of the registry). Keep this chain head outside the registry: a later verification that still contains event ")
            .Append(pack.Export.Verification.HeadSequence).Append(" with this hash proves the trail up to it was neither rewritten nor truncated.\n");
        return m.ToString();
    }

    private static void Chain(StringBuilder m, EvidenceExport export)
    {
        var verification = export.Verification;
        var result = verification.Valid
            ? $"Intact — {verification.Events.ToString(CultureInfo.InvariantCulture)} events recomputed at export time"
            : $"BROKEN at event {verification.FirstBrokenSequence} — {verification.Events.ToString(CultureInfo.InvariantCulture)} events checked; an event from there on was changed or removed outside the registry";
        Table(m, ["Export", ""],
        [
            ["Exported at", EvidenceFacts.Time(export.ExportedAt)],
            ["Exported by", export.ExportedBy],
            ["Recorded as", $"audit event {export.ExportSequence} (evidence.exported)"],
            ["Chain verification", result],
            ["Chain head", $"event {verification.HeadSequence}, {verification.HeadHash}"],
        ]);
    }

    private static void Lifecycle(StringBuilder m, EvidencePack pack)
    {
        m.Append("## 5. Stage history and transition requests\n\n");
        if (pack.StageHistory.Count == 0)
        {
            m.Append("The version has never changed stage.\n\n");
        }
        else
        {
            Table(m, EvidenceFacts.StageHistory(pack));
        }

        if (pack.Requests.Count == 0)
        {
            m.Append("No transition requests.\n\n");
        }

        foreach (var r in pack.Requests)
        {
            m.Append("### Request #").Append(r.Id).Append(": ").Append(r.FromStage).Append(" → ").Append(r.ToStage).Append(" — ").Append(r.Status).Append("\n\n");
            var facts = new List<string[]>
            {
                new[] { "Requested", $"{EvidenceFacts.Time(r.RequestedAt)} by {r.RequestedBy}" },
                new[] { "Justification", r.Justification ?? "—" },
            };
            if (r.DecidedAt is { } decided)
            {
                facts.Add(["Decided", $"{EvidenceFacts.Time(decided)} by {r.DecidedBy ?? "—"}"]);
                facts.Add(["Decision comment", r.DecisionComment ?? "—"]);
            }

            Table(m, ["Request", ""], facts);
            if (r.Approvals.Count > 0)
            {
                m.Append("Approvals:\n\n");
                Table(m, EvidenceFacts.Approvals(r));
            }

            if (r.Comments.Count > 0)
            {
                m.Append("Discussion:\n\n");
                Table(m, ["When", "Author", "Comment"], r.Comments.Select(c => new[] { EvidenceFacts.Time(c.At), c.Author, c.Text }));
            }
        }

        Attestations(m, pack);
    }

    private static void Attestations(StringBuilder m, EvidencePack pack)
    {
        m.Append("### Signed approval attestations\n\n").Append(Text(EvidenceFacts.AttestationsIntro)).Append("\n\n");
        if (pack.Attestations.Count == 0)
        {
            m.Append("No attestations: no request into Staging or Production has been approved since the registry signs them.\n\n");
        }
        else
        {
            Table(m, EvidenceFacts.Attestations(pack));
            foreach (var a in pack.Attestations)
            {
                m.Append("Envelope of attestation ").Append(a.Id).Append(":\n\n");
                Fenced(m, "json", Signing.Dsse.SerializeIndented(a.Envelope));
            }
        }

        m.Append("### Signing keys\n\n");
        foreach (var key in pack.SigningKeys)
        {
            m.Append("Key id `").Append(key.KeyId).Append("` (").Append(key.Current ? "current" : "previous").Append("):\n\n");
            Fenced(m, "", key.PublicKeyPem);
        }
    }

    /// <summary>A fenced block longer than any run of backticks inside it: exact, and never rendered.</summary>
    private static void Fenced(StringBuilder m, string info, string text)
    {
        var fence = new string('`', Math.Max(3, LongestRun(text, '`') + 1));
        m.Append(fence).Append(info).Append('\n').Append(text.TrimEnd('\n', '\r')).Append('\n').Append(fence).Append("\n\n");
    }

    private static void Table(StringBuilder m, EvidenceFacts.Grid grid) => Table(m, grid.Headers, grid.Rows);

    private static void Table(StringBuilder m, string[] headers, IEnumerable<string[]> rows)
    {
        m.Append('|');
        foreach (var header in headers)
        {
            m.Append(' ').Append(Cell(header)).Append(" |");
        }

        m.Append("\n|");
        foreach (var _ in headers)
        {
            m.Append(" --- |");
        }

        m.Append('\n');
        foreach (var row in rows)
        {
            m.Append('|');
            foreach (var value in row)
            {
                m.Append(' ').Append(Cell(value)).Append(" |");
            }

            m.Append('\n');
        }

        m.Append('\n');
    }

    /// <summary>A value for a table cell: escaped as <see cref="Text"/>, but line breaks kept as &lt;br&gt; (a cell is one line).</summary>
    public static string Cell(string? value) => Escape(value, "<br>");

    /// <summary>
    /// Inline text that renders as exactly these characters: markdown punctuation is backslash-escaped (so nothing becomes
    /// emphasis, a link, an image, code or a table column) and &lt;, &gt;, &amp; become entities (so nothing becomes HTML); a line break becomes a space.
    /// </summary>
    public static string Text(string? value) => Escape(value, " ");

    private static string Escape(string? value, string lineBreak)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var s = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            switch (c)
            {
                case '<': s.Append("&lt;"); break;
                case '>': s.Append("&gt;"); break;
                case '&': s.Append("&amp;"); break;
                case '\\' or '`' or '*' or '_' or '{' or '}' or '[' or ']' or '(' or ')' or '#' or '+' or '!' or '|' or '~':
                    s.Append('\\').Append(c);
                    break;
                case '\t': s.Append(' '); break;
                case '\n': s.Append(lineBreak); break;
                case '\r': break;
                default:
                    // Other control characters have no place in a document.
                    if (!char.IsControl(c))
                    {
                        s.Append(c);
                    }

                    break;
            }
        }

        return s.ToString();
    }

    private static string Compact(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, CompactJson);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static readonly JsonSerializerOptions CompactJson = new(EvidenceFacts.IndentedJson) { WriteIndented = false };

    private static int LongestRun(string text, char c)
    {
        int longest = 0, run = 0;
        foreach (var ch in text)
        {
            run = ch == c ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }
}
