namespace ModelRegistry.Core.Notifications;

/// <summary>What a notification is about.</summary>
public enum NotificationKind
{
    TransitionApproved = 0,
    TransitionPartlyApproved = 1,
    TransitionRejected = 2,
    TransitionCommented = 3,
    TransitionCancelled = 4,
    TransitionVersionChanged = 5,
}

/// <summary>
/// An in-app message to one user, e.g. "Alice approved your request to move chat v3 to Production". Written in the
/// transaction of the event it reports, so a decision never happens without its requester being told.
/// </summary>
public sealed class Notification
{
    private Notification() { }

    internal Notification(string userId, NotificationKind kind, string message, string link, DateTimeOffset now)
    {
        UserId = userId;
        Kind = kind;
        Message = message;
        Link = link;
        CreatedAt = now;
    }

    public long Id { get; private set; }
    public string UserId { get; private set; } = "";
    public NotificationKind Kind { get; private set; }
    public string Message { get; private set; } = "";

    /// <summary>A dashboard path (e.g. <c>/models/chat/versions/3?tab=lifecycle</c>), never an absolute URL.</summary>
    public string Link { get; private set; } = "";

    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? ReadAt { get; private set; }

    internal void MarkRead(DateTimeOffset now) => ReadAt ??= now;
}

/// <summary>A notification as the dashboard shows it.</summary>
public sealed record NotificationInfo(long Id, NotificationKind Kind, string Message, string Link, DateTimeOffset CreatedAt, bool IsRead);
