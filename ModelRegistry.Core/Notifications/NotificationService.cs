using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Notifications;

/// <summary>A user's own in-app notifications: read them, count the unread, mark them read. Nobody reads anyone else's.</summary>
public sealed class NotificationService(IDbContextFactory<RegistryDbContext> dbFactory, TimeProvider clock)
{
    public const int MaxTake = 100;

    /// <summary>The actor's newest notifications, unread and read.</summary>
    public async Task<IReadOnlyList<NotificationInfo>> ListAsync(Actor actor, int take = 20, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Notifications.AsNoTracking()
            .Where(n => n.UserId == actor.UserId)
            .OrderByDescending(n => n.Id)
            .Take(Math.Clamp(take, 1, MaxTake))
            .Select(n => new NotificationInfo(n.Id, n.Kind, n.Message, n.Link, n.CreatedAt, n.ReadAt != null))
            .ToListAsync(ct);
    }

    /// <summary>How many of the actor's notifications are unread (the badge in the app bar).</summary>
    public async Task<int> UnreadCountAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Notifications.CountAsync(n => n.UserId == actor.UserId && n.ReadAt == null, ct);
    }

    /// <summary>Marks one of the actor's notifications read; someone else's id is ignored like an unknown one.</summary>
    public async Task MarkReadAsync(Actor actor, long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var notification = await db.Notifications.SingleOrDefaultAsync(n => n.Id == id && n.UserId == actor.UserId, ct);
        if (notification is { ReadAt: null })
        {
            notification.MarkRead(clock.GetUtcNow());
            await db.SaveChangesAsync(ct);
        }
    }

    /// <summary>Marks all of the actor's notifications read.</summary>
    public async Task MarkAllReadAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        await db.Notifications.Where(n => n.UserId == actor.UserId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
    }

    /// <summary>
    /// Adds a notification to <paramref name="db"/>, to be saved with the caller's change. Nobody is told about their own
    /// action, and the system actors (command line, setup), who never sign in, are not told at all.
    /// </summary>
    internal static void Notify(RegistryDbContext db, Actor actor, string userId, NotificationKind kind, string message, string link,
        DateTimeOffset now)
    {
        if (userId != actor.UserId && !userId.StartsWith("system:", StringComparison.Ordinal))
        {
            db.Notifications.Add(new Notification(userId, kind, message, link, now));
        }
    }
}
