using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Lifecycle;

/// <summary>
/// One entry of a version's stage history: from, to, when, who, and which request caused it — the request that
/// approved the move, or, for a version archived because another took its place in Production, that other request.
/// </summary>
public sealed class StageChange
{
    private StageChange() { }

    internal StageChange(ModelVersion version, Stage from, Stage to, string byUserId, string by, DateTimeOffset at,
        TransitionRequest? request, string? reason)
    {
        Version = version;
        FromStage = from;
        ToStage = to;
        ByUserId = byUserId;
        By = by;
        At = at;
        Request = request;
        Reason = reason;
    }

    public long Id { get; private set; }
    public long VersionId { get; private set; }
    public ModelVersion Version { get; private set; } = null!;
    public Stage FromStage { get; private set; }
    public Stage ToStage { get; private set; }
    public DateTimeOffset At { get; private set; }
    public string ByUserId { get; private set; } = "";
    public string By { get; private set; } = "";
    public long? RequestId { get; private set; }
    public TransitionRequest? Request { get; private set; }

    /// <summary>Why, when it was not the request's own move (e.g. "Superseded by version 3").</summary>
    public string? Reason { get; private set; }
}
