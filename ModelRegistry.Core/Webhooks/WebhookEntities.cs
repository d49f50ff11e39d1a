namespace ModelRegistry.Core.Webhooks;

/// <summary>A URL that receives registry events of the chosen types, signed with a shared secret.</summary>
public sealed class WebhookSubscription
{
    private WebhookSubscription() { }

    public WebhookSubscription(string url, List<string> events, string protectedSecret, string createdBy, DateTimeOffset now)
    {
        Url = url;
        Events = events;
        ProtectedSecret = protectedSecret;
        CreatedBy = createdBy;
        CreatedAt = now;
    }

    public long Id { get; private set; }
    public string Url { get; private set; } = "";
    public List<string> Events { get; private set; } = [];

    /// <summary>The signing secret, encrypted with the registry's data-protection keys (never stored in the clear).</summary>
    public string ProtectedSecret { get; private set; } = "";

    public string CreatedBy { get; private set; } = "";

    /// <summary>Restricted models whose events an Admin allowed this webhook to receive (none by default).</summary>
    public List<string> RestrictedModels { get; set; } = [];

    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? DeletedAt { get; private set; }

    public bool Wants(string eventType) => DeletedAt is null && (Events.Contains(eventType) || eventType == WebhookEvents.Ping);

    public void Delete(DateTimeOffset now) => DeletedAt ??= now;
}

public enum DeliveryStatus
{
    Pending,
    Succeeded,
    Failed,
}

/// <summary>One event to deliver to one subscription: an outbox row, written in the transaction of the change.</summary>
public sealed class WebhookDelivery
{
    private WebhookDelivery() { }

    public WebhookDelivery(long subscriptionId, string eventType, string payload, DateTimeOffset now)
    {
        Id = Guid.NewGuid().ToString("N");
        SubscriptionId = subscriptionId;
        EventType = eventType;
        Payload = payload;
        CreatedAt = now;
        NextAttemptAt = now;
    }

    /// <summary>Sent as <c>X-Registry-Delivery</c>; a receiver can use it to drop duplicates.</summary>
    public string Id { get; private set; } = "";

    public long SubscriptionId { get; private set; }
    public WebhookSubscription? Subscription { get; private set; }
    public string EventType { get; private set; } = "";

    /// <summary>The exact JSON body sent (and signed) on every attempt.</summary>
    public string Payload { get; private set; } = "";

    public DeliveryStatus Status { get; private set; }
    public int Attempts { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? NextAttemptAt { get; private set; }
    public int? LastStatusCode { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }
    public List<WebhookAttempt> AttemptLog { get; private set; } = [];

    /// <summary>Records an attempt; schedules the next one after <paramref name="retryAfter"/>, or gives up when null.</summary>
    public void RecordAttempt(DateTimeOffset at, int? statusCode, string? error, TimeSpan duration, TimeSpan? retryAfter)
    {
        Attempts++;
        LastStatusCode = statusCode;
        LastError = error;
        AttemptLog.Add(new WebhookAttempt(Id, Attempts, at, statusCode, error, (int)duration.TotalMilliseconds));
        var succeeded = statusCode is >= 200 and < 300;
        if (succeeded || retryAfter is null)
        {
            Status = succeeded ? DeliveryStatus.Succeeded : DeliveryStatus.Failed;
            NextAttemptAt = null;
            CompletedAt = at;
        }
        else
        {
            NextAttemptAt = at + retryAfter.Value;
        }
    }

    /// <summary>Queues a finished delivery to be sent again (same id and body).</summary>
    public void Redeliver(DateTimeOffset now)
    {
        Status = DeliveryStatus.Pending;
        NextAttemptAt = now;
        CompletedAt = null;
    }
}

/// <summary>One HTTP attempt of a delivery, kept for the deliveries log.</summary>
public sealed class WebhookAttempt
{
    private WebhookAttempt() { }

    public WebhookAttempt(string deliveryId, int number, DateTimeOffset at, int? statusCode, string? error, int durationMs)
    {
        DeliveryId = deliveryId;
        Number = number;
        At = at;
        StatusCode = statusCode;
        Error = error;
        DurationMs = durationMs;
    }

    public long Id { get; private set; }
    public string DeliveryId { get; private set; } = "";
    public int Number { get; private set; }
    public DateTimeOffset At { get; private set; }
    public int? StatusCode { get; private set; }
    public string? Error { get; private set; }
    public int DurationMs { get; private set; }
}
