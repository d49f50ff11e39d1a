namespace ModelRegistry.Core.Lineage;

/// <summary>What a node of a lineage graph stands for.</summary>
public enum LineageNodeKind
{
    /// <summary>The base model a version was fine-tuned from: a registered model, or free text (a Hub id, a vendor name).</summary>
    BaseModel,

    /// <summary>An earlier version of the same model this one derives from (through its parent chain).</summary>
    ParentVersion,

    /// <summary>The version the graph is drawn for.</summary>
    Current,

    /// <summary>A training data set of the current version.</summary>
    Dataset,

    /// <summary>An environment the current version was deployed to (its newest record there).</summary>
    Deployment,

    /// <summary>A later version of the same model whose parent is the current version.</summary>
    ChildVersion,

    /// <summary>Another registered model whose versions name this model as their base model.</summary>
    DerivedModel,
}

/// <summary>
/// One node. <paramref name="Label"/> and <paramref name="Detail"/> are the registry's data (free text anyone with
/// DataScientist may write): every renderer shows them as text, never as markup. <paramref name="Id"/> is made by the
/// registry (<c>n0</c>, <c>n1</c> …), never from user input.
/// </summary>
/// <param name="Link">A path on this site to open when the node is clicked (<c>/models/…</c>, <c>/deployments?…</c>), or null.</param>
/// <param name="Column">The layer, left to right: base models, parents, this version, what came after it.</param>
/// <param name="Row">The position inside the column, top to bottom.</param>
/// <param name="X">The centre, in layout units (the same for the dashboard and the SVG).</param>
/// <param name="Y">The centre, in layout units.</param>
public sealed record LineageNode(string Id, LineageNodeKind Kind, string Label, string? Detail, string? Link, int Column, int Row,
    double X, double Y);

/// <summary>An edge, in the direction things flowed: base model → parent → this version → deployment.</summary>
/// <param name="Label">What the edge means: <c>base model</c>, <c>parent</c>, <c>trained on</c>, <c>deployed</c>, <c>derived</c>.</param>
public sealed record LineageEdge(string From, string To, string Label);

/// <summary>
/// The lineage of one version as the viewer may see it: nodes with a layered layout already computed (so that the
/// dashboard's graph and the evidence pack's SVG look the same), and edges. Models hidden from the viewer are absent.
/// </summary>
/// <param name="OmittedAncestors">Earlier versions of the parent chain beyond <see cref="LineageService.MaxAncestors"/>, not drawn.</param>
/// <param name="OmittedAfter">Child versions and derived models beyond their caps, not drawn.</param>
/// <param name="CycleAt">The version number at which the parent chain loops back on itself, when it does (the walk stops there).</param>
public sealed record LineageGraph(
    string ModelName,
    int Number,
    IReadOnlyList<LineageNode> Nodes,
    IReadOnlyList<LineageEdge> Edges,
    int OmittedAncestors = 0,
    int OmittedAfter = 0,
    int? CycleAt = null)
{
    public LineageNode Node(string id) => Nodes.First(n => n.Id == id);

    /// <summary>The human name of a node kind, for tables and legends.</summary>
    public static string KindName(LineageNodeKind kind) => kind switch
    {
        LineageNodeKind.BaseModel => "Base model",
        LineageNodeKind.ParentVersion => "Parent version",
        LineageNodeKind.Current => "This version",
        LineageNodeKind.Dataset => "Training data",
        LineageNodeKind.Deployment => "Deployment",
        LineageNodeKind.ChildVersion => "Derived version",
        LineageNodeKind.DerivedModel => "Derived model",
        _ => kind.ToString(),
    };
}
