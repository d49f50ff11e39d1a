using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Audit;

/// <summary>An audit event as the log shows and exports it.</summary>
public sealed record AuditEntry(
    long Sequence,
    DateTimeOffset Time,
    string ActorId,
    string ActorName,
    string Action,
    string EntityType,
    string EntityId,
    string? ModelName,
    string Data,
    string PreviousHash,
    string Hash);

/// <summary>A filter of the full audit log. Times are inclusive bounds.</summary>
public sealed record AuditQuery(
    string? Actor = null,
    string? Action = null,
    string? Entity = null,
    string? Model = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Text = null,
    int? Page = null,
    int? PageSize = null);

/// <summary>The full audit log: reading, exporting and verifying it. Auditor or Admin only; nothing here writes.</summary>
public sealed class AuditLogService(IDbContextFactory<RegistryDbContext> dbFactory, AccessGuard guard)
{
    /// <summary>Every action name the registry records (for filters and validation).</summary>
    public static IReadOnlyList<string> KnownActions { get; } = typeof(AuditActions)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>A page of events, newest first.</summary>
    public async Task<PagedResult<AuditEntry>> ListAsync(Actor actor, AuditQuery query, CancellationToken ct = default)
    {
        var paging = PageRequest.From(query.Page, query.PageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.ReadAudit, ct);
        var events = await FilterAsync(db, query, ct);
        var total = await events.CountAsync(ct);
        // The page's keys first (answered from an index where the filter has one), then only those rows.
        var page = events.OrderByDescending(e => e.Sequence).Skip(paging.Skip).Take(paging.PageSize).Select(e => e.Id);
        var items = await db.AuditEvents.AsNoTracking().Where(e => page.Contains(e.Id)).OrderByDescending(e => e.Sequence)
            .Select(ToEntry).ToListAsync(ct);
        return new PagedResult<AuditEntry>(items, total);
    }

    /// <summary>Every matching event in sequence order, streamed from the database (memory stays flat however long the log).</summary>
    public async IAsyncEnumerable<AuditEntry> ExportAsync(Actor actor, AuditQuery query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.ReadAudit, ct);
        var events = await FilterAsync(db, query, ct);
        await foreach (var e in events.OrderBy(e => e.Sequence).Select(ToEntry).AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return e;
        }
    }

    /// <summary>Throws 403 unless the actor may read the full log (checked before an export starts streaming).</summary>
    public async Task DemandReadAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.ReadAudit, ct);
    }

    /// <summary>Recomputes the whole chain.</summary>
    public async Task<AuditVerification> VerifyAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.ReadAudit, ct);
        return await AuditVerifier.VerifyAsync(db, ct);
    }

    /// <summary>Checks filter values (400 for an unknown action or a reversed time range).</summary>
    public static void Validate(AuditQuery query)
    {
        if (query.Action is { Length: > 0 } action && !KnownActions.Contains(action))
        {
            throw ValidationFailedException.For("action", $"'{action}' is not an audit action. Known: {string.Join(", ", KnownActions)}.");
        }

        if (query is { From: { } from, To: { } to } && from > to)
        {
            throw ValidationFailedException.For("from", "from must not be after to.");
        }

        Input.Line("q", query.Text, 200);
        Input.Line("actor", query.Actor, 256);
        Input.Line("entity", query.Entity, 450);
        Input.Line("model", query.Model, 100);
    }

    private static async Task<IQueryable<AuditEvent>> FilterAsync(RegistryDbContext db, AuditQuery query, CancellationToken ct)
    {
        Validate(query);
        var events = db.AuditEvents.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Actor))
        {
            // A user id or a display name: ids are GUIDs (or system:…), names are e-mail addresses or names, so one value
            // is never both. Filtering on the one column it is lets the page walk that column's index in sequence order;
            // "id or name" in one query would fetch and sort every event of the actor.
            var actor = query.Actor.Trim();
            var isId = await db.AuditEvents.AnyAsync(e => e.ActorId == actor, ct);
            events = isId ? events.Where(e => e.ActorId == actor) : events.Where(e => e.ActorName == actor);
        }

        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            events = events.Where(e => e.Action == query.Action);
        }

        if (!string.IsNullOrWhiteSpace(query.Entity))
        {
            // "version" (a type) or "version:llama/3" (a type and id).
            var parts = query.Entity.Trim().Split(':', 2);
            var type = parts[0];
            events = events.Where(e => e.EntityType == type);
            if (parts.Length == 2)
            {
                var id = parts[1];
                events = events.Where(e => e.EntityId == id);
            }
        }

        if (!string.IsNullOrWhiteSpace(query.Model))
        {
            events = events.Where(e => e.ModelName == query.Model);
        }

        if (query.From is { } from)
        {
            events = events.Where(e => e.Time >= from);
        }

        if (query.To is { } to)
        {
            events = events.Where(e => e.Time <= to);
        }

        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            events = MatchingText(db, events, query.Text.Trim());
        }

        return events;
    }

    /// <summary>
    /// Events whose data, entity id or actor name contain <paramref name="text"/> (case-insensitive substring; %, _ and \ are
    /// literal). PostgreSQL: ILIKE, answered from the pg_trgm indexes. SQLite: text of three characters or more is looked
    /// up in the trigram FTS5 index (AuditEventSearch, filled by a trigger) as one quoted phrase, which for trigrams means
    /// "contains"; shorter text has no trigram to look up and scans with LIKE.
    /// </summary>
    private static IQueryable<AuditEvent> MatchingText(RegistryDbContext db, IQueryable<AuditEvent> events, string text)
    {
        var pattern = Input.LikeContains(text);
        if (db.Database.IsNpgsql())
        {
            return events.Where(e => EF.Functions.ILike(e.Data, pattern, "\\") || EF.Functions.ILike(e.EntityId, pattern, "\\")
                || EF.Functions.ILike(e.ActorName, pattern, "\\"));
        }

        if (text.EnumerateRunes().Count() >= 3)
        {
            var phrase = "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            var ids = db.Database.SqlQuery<long>($"SELECT rowid AS \"Value\" FROM AuditEventSearch WHERE AuditEventSearch MATCH {phrase}");
            return events.Where(e => ids.Contains(e.Id));
        }

        // SQLite's LIKE ignores (ASCII) case.
        return events.Where(e => EF.Functions.Like(e.Data, pattern, "\\") || EF.Functions.Like(e.EntityId, pattern, "\\")
            || EF.Functions.Like(e.ActorName, pattern, "\\"));
    }

    private static readonly System.Linq.Expressions.Expression<Func<AuditEvent, AuditEntry>> ToEntry = e =>
        new AuditEntry(e.Sequence, e.Time, e.ActorId, e.ActorName, e.Action, e.EntityType, e.EntityId, e.ModelName, e.Data, e.PreviousHash, e.Hash);
}
