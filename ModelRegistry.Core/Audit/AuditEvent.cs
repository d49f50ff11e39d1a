namespace ModelRegistry.Core.Audit;

/// <summary>
/// One entry of the append-only, hash-chained audit trail. <see cref="Hash"/> covers
/// <see cref="PreviousHash"/> and the event's canonical form (see <see cref="AuditChain"/>), so
/// editing or deleting any event breaks the chain from there on.
/// </summary>
public sealed class AuditEvent
{
    private AuditEvent() { }

    internal AuditEvent(long sequence, DateTimeOffset time, string actorId, string actorName, string action,
        string entityType, string entityId, string? modelName, string data, string previousHash, string hash)
    {
        Sequence = sequence;
        Time = time;
        ActorId = actorId;
        ActorName = actorName;
        Action = action;
        EntityType = entityType;
        EntityId = entityId;
        ModelName = modelName;
        Data = data;
        PreviousHash = previousHash;
        Hash = hash;
    }

    public long Id { get; private set; }

    /// <summary>1, 2, 3 … with no gaps.</summary>
    public long Sequence { get; private set; }

    public DateTimeOffset Time { get; private set; }
    public string ActorId { get; private set; } = "";
    public string ActorName { get; private set; } = "";

    /// <summary>e.g. model.created, version.created, user.role_granted.</summary>
    public string Action { get; private set; } = "";

    public string EntityType { get; private set; } = "";
    public string EntityId { get; private set; } = "";

    /// <summary>The model the event concerns, if any, so a model's activity can be sliced out.</summary>
    public string? ModelName { get; private set; }

    /// <summary>JSON: what changed.</summary>
    public string Data { get; private set; } = "{}";

    public string PreviousHash { get; private set; } = "";
    public string Hash { get; private set; } = "";
}
