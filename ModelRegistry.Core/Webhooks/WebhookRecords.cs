namespace ModelRegistry.Core.Webhooks;

/// <summary>A subscription as listed (never the secret).</summary>
public sealed record WebhookInfo(long Id, string Url, IReadOnlyList<string> Events, string CreatedBy, DateTimeOffset CreatedAt,
    IReadOnlyList<string>? RestrictedModels = null);

/// <summary>What an Admin asks for.</summary>
public sealed record CreateWebhook(string Url, IReadOnlyList<string>? Events, string? Secret = null);

/// <summary>A delivery and its attempts.</summary>
public sealed record DeliveryInfo(
    string Id,
    string EventType,
    DeliveryStatus Status,
    int Attempts,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<AttemptInfo> AttemptLog);

public sealed record AttemptInfo(int Number, DateTimeOffset At, int? StatusCode, string? Error, int DurationMs);
