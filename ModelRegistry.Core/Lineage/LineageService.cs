using System.Text;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Lineage;

/// <summary>
/// Builds a version's lineage graph: its base model(s), its parent chain inside the model, the version itself, its
/// training data sets, the environments it was deployed to, and what came after it (child versions, other models built
/// on this one). Every read goes through the context's visibility filter (<see cref="Teams.ModelViewer"/>), so a
/// Restricted model the viewer may not see is neither a node nor a name in a label: a base model named in free text is
/// linked only when the viewer can see a registered model of that name. The parent chain is walked one version at a
/// time with a visited set, so a chain that loops (an edited parent pointing at a descendant) ends where it loops.
/// The layout (layers left to right, rows centred) is computed here, once, for the dashboard and the SVG alike.
/// </summary>
public sealed class LineageService(IDbContextFactory<RegistryDbContext> dbFactory)
{
    public const int MaxAncestors = 8;
    public const int MaxDatasets = 12;
    public const int MaxDeployments = 8;
    public const int MaxChildren = 6;
    public const int MaxDerivedModels = 6;

    /// <summary>Labels longer than this are cut (with an ellipsis) in the graph; the text table shows them whole.</summary>
    public const int MaxLabelLength = 48;

    public const double ColumnWidth = 240;
    public const double RowHeight = 84;

    /// <summary>The lineage of version <paramref name="number"/> of <paramref name="modelName"/>; 404 when unknown or hidden.</summary>
    public async Task<LineageGraph> GetAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var current = await db.RequireVersionAsync(modelName, number, track: false, ct);
        var b = new Builder();

        // The parent chain, newest first, one version at a time; the visited set ends a loop.
        var chain = new List<(int Number, Stage Stage, string? Base)>();
        var visited = new HashSet<int> { number };
        int? cycleAt = null;
        var truncated = false;
        var next = current.ParentVersionNumber;
        while (next is { } parentNumber)
        {
            if (!visited.Add(parentNumber))
            {
                cycleAt = parentNumber;
                break;
            }

            var parent = await db.Versions.AsNoTracking().Where(v => v.ModelId == current.ModelId && v.Number == parentNumber)
                .Select(v => new { v.Number, v.Stage, v.Metadata.BaseModel, v.ParentVersionNumber }).SingleOrDefaultAsync(ct);
            if (parent is null)
            {
                break; // A parent number that names no version (never created, or since deleted): the chain ends.
            }

            chain.Add((parent.Number, parent.Stage, parent.BaseModel));
            next = parent.ParentVersionNumber;
            if (chain.Count == MaxAncestors && next is not null)
            {
                truncated = true;
                break;
            }
        }

        chain.Reverse(); // oldest first
        var line = chain.Append((number, current.Stage, current.Metadata.BaseModel)).ToList();

        // Base models: one node per distinct text, linked to the registered model of that name when the viewer sees one.
        var bases = line.Select(v => Clean(v.Item3)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var registered = bases.Count == 0
            ? []
            : (await db.Models.AsNoTracking().Where(m => bases.Contains(m.Name)).Select(m => m.Name).ToListAsync(ct))
                .ToHashSet(StringComparer.Ordinal);
        var baseIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in bases)
        {
            baseIds[text] = b.Add(LineageNodeKind.BaseModel, 0, text,
                registered.Contains(text) ? "registered model" : "external",
                registered.Contains(text) ? ModelLink(text) : null);
        }

        var firstVersionColumn = bases.Count > 0 ? 1 : 0;
        string? previousId = null;
        string? previousBase = null;
        for (var i = 0; i < line.Count; i++)
        {
            var (n, stage, baseText) = line[i];
            var isCurrent = i == line.Count - 1;
            var label = truncated && i == 0 ? $"v{n} …" : $"v{n}";
            var detail = isCurrent ? $"this version · {StageText(stage)}"
                : truncated && i == 0 ? "and earlier versions" : StageText(stage);
            var id = b.Add(isCurrent ? LineageNodeKind.Current : LineageNodeKind.ParentVersion, firstVersionColumn + i, label, detail,
                VersionLink(modelName, n));
            var cleanBase = Clean(baseText);
            if (cleanBase is not null && (previousId is null || cleanBase != previousBase))
            {
                b.Edge(baseIds[cleanBase], id, "base model");
            }

            if (previousId is not null)
            {
                b.Edge(previousId, id, "parent");
            }

            previousId = id;
            previousBase = cleanBase;
        }

        var currentId = previousId!;
        var currentColumn = firstVersionColumn + line.Count - 1;

        // Training data, in the column before this version (beside its parent, or the base model).
        var datasetColumn = currentColumn - 1;
        foreach (var d in current.Datasets.Take(MaxDatasets))
        {
            var detail = string.Join(" · ", new[] { Clean(d.Version), Clean(d.Split) }.OfType<string>());
            var id = b.Add(LineageNodeKind.Dataset, datasetColumn, d.Name, detail.Length == 0 ? null : detail, null);
            b.Edge(id, currentId, Clean(d.Split) is { } split && !split.Equals("train", StringComparison.OrdinalIgnoreCase)
                ? $"data ({split})"
                : "trained on");
        }

        var after = currentColumn + 1;
        var omittedAfter = 0;

        // Deployments: the newest record per environment.
        var records = await db.Deployments.AsNoTracking().Where(d => d.VersionId == current.Id).OrderByDescending(d => d.Id)
            .Take(500).Select(d => new { d.Environment, d.Status }).ToListAsync(ct);
        var environments = records.DistinctBy(r => r.Environment).OrderBy(r => r.Environment, StringComparer.Ordinal).ToList();
        foreach (var r in environments.Take(MaxDeployments))
        {
            var id = b.Add(LineageNodeKind.Deployment, after, r.Environment, DeploymentText(r.Status),
                $"/deployments?environment={Uri.EscapeDataString(r.Environment)}&model={Uri.EscapeDataString(modelName)}");
            b.Edge(currentId, id, "deployed");
        }

        omittedAfter += Math.Max(0, environments.Count - MaxDeployments);

        // Later versions of this model that name this one as their parent.
        var children = await db.Versions.AsNoTracking()
            .Where(v => v.ModelId == current.ModelId && v.ParentVersionNumber == number && v.Number != number && !visited.Contains(v.Number))
            .OrderBy(v => v.Number).Take(MaxChildren + 1).Select(v => new { v.Number, v.Stage }).ToListAsync(ct);
        foreach (var c in children.Take(MaxChildren))
        {
            var id = b.Add(LineageNodeKind.ChildVersion, after, $"v{c.Number}", StageText(c.Stage), VersionLink(modelName, c.Number));
            b.Edge(currentId, id, "parent");
        }

        omittedAfter += Math.Max(0, children.Count - MaxChildren);

        // Other models built on this one: only those the viewer may see are read at all.
        var derived = await db.Versions.AsNoTracking()
            .Where(v => v.ModelId != current.ModelId && v.Metadata.BaseModel == modelName)
            .Select(v => v.Model.Name).Distinct().OrderBy(n => n).Take(MaxDerivedModels + 1).ToListAsync(ct);
        foreach (var m in derived.Take(MaxDerivedModels))
        {
            var id = b.Add(LineageNodeKind.DerivedModel, after, m, "built on this model", ModelLink(m));
            b.Edge(currentId, id, "base model of");
        }

        omittedAfter += Math.Max(0, derived.Count - MaxDerivedModels);
        return new LineageGraph(modelName, number, b.Layout(), b.Edges, truncated ? 1 : 0, omittedAfter, cycleAt);
    }

    public static string VersionLink(string modelName, int number) => $"/models/{Uri.EscapeDataString(modelName)}/versions/{number}";

    public static string ModelLink(string modelName) => $"/models/{Uri.EscapeDataString(modelName)}";

    /// <summary><paramref name="text"/> cut to <see cref="MaxLabelLength"/> characters (not inside a surrogate pair), with an ellipsis.</summary>
    public static string Shorten(string text)
    {
        if (text.Length <= MaxLabelLength)
        {
            return text;
        }

        var cut = MaxLabelLength - 1;
        if (char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }

        return string.Concat(text.AsSpan(0, cut), "…");
    }

    private static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        // Line breaks and other control characters would break a one-line label; they show as spaces.
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.Trim())
        {
            sb.Append(char.IsControl(c) ? ' ' : c);
        }

        return sb.ToString();
    }

    private static string StageText(Stage stage) => stage == Stage.None ? "no stage" : stage.ToString();

    private static string DeploymentText(DeploymentStatus status) => status switch
    {
        DeploymentStatus.RolledBack => "rolled back",
        _ => status.ToString().ToLowerInvariant(),
    };

    private sealed class Builder
    {
        private readonly List<(string Id, LineageNodeKind Kind, int Column, string Label, string? Detail, string? Link)> _nodes = [];

        public List<LineageEdge> Edges { get; } = [];

        public string Add(LineageNodeKind kind, int column, string label, string? detail, string? link)
        {
            var id = $"n{_nodes.Count}";
            _nodes.Add((id, kind, column, Clean(label) ?? "—", detail is null ? null : Clean(detail), link));
            return id;
        }

        public void Edge(string from, string to, string label) => Edges.Add(new LineageEdge(from, to, label));

        /// <summary>Columns left to right (shifted so the first is 0), rows in the order added, each column centred on y = 0.</summary>
        public List<LineageNode> Layout()
        {
            var shift = -_nodes.Min(n => n.Column);
            var counts = _nodes.GroupBy(n => n.Column).ToDictionary(g => g.Key, g => g.Count());
            var rows = new Dictionary<int, int>();
            var result = new List<LineageNode>(_nodes.Count);
            foreach (var (id, kind, column, label, detail, link) in _nodes)
            {
                var row = rows.GetValueOrDefault(column);
                rows[column] = row + 1;
                var y = (row - (counts[column] - 1) / 2.0) * RowHeight;
                result.Add(new LineageNode(id, kind, label, detail, link, column + shift, row, (column + shift) * ColumnWidth, y));
            }

            return result;
        }
    }
}
