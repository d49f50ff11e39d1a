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
    int? PageSize = null,
    bool CountAll = false);

/// <summary>
/// A page of the audit log, newest first. <see cref="Total"/> is exact when <see cref="TotalIsExact"/>; otherwise the
/// filter matches more events than were counted and <see cref="Total"/> is a lower bound (see
/// <see cref="AuditLogService.CountLimit"/>).
/// </summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, int Total, bool TotalIsExact);

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

    /// <summary>
    /// How many matching events a page counts before it stops and reports "at least this many": counting every match
    /// of a broad filter costs time in proportion to the log, the page itself does not. The limit grows with the page
    /// asked for, so the pages up to it are always known; <see cref="AuditQuery.CountAll"/> counts everything.
    /// </summary>
    public const int CountLimit = 1000;

    /// <summary>A page of events, newest first, with the number of matches counted up to <see cref="CountLimit"/>.</summary>
    public async Task<AuditPage> ListAsync(Actor actor, AuditQuery query, CancellationToken ct = default)
    {
        var paging = PageRequest.From(query.Page, query.PageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.ReadAudit, ct);
        var selection = await FilterAsync(db, query, ct);
        var events = selection.Events;

        var limit = Math.Max(CountLimit, paging.Skip + paging.PageSize);
        int total;
        var exact = true;
        List<long> pageIds;
        if (selection.InIdOrder && !query.CountAll)
        {
            // Text index: one walk oldest first — the direction FTS5 skips through fastest — collecting up to limit + 1
            // matches. That many or fewer: they are the count and hold the page. More: a common text, whose newest
            // matches a walk from the newest end reaches within a few pages.
            var oldestFirst = await events.OrderBy(e => e.Id).Select(e => e.Id).Take(limit + 1).ToListAsync(ct);
            if (oldestFirst.Count <= limit)
            {
                total = oldestFirst.Count;
                pageIds = Enumerable.Reverse(oldestFirst).Skip(paging.Skip).Take(paging.PageSize).ToList();
            }
            else
            {
                (total, exact) = (limit, false);
                pageIds = await events.OrderByDescending(e => e.Id).Skip(paging.Skip).Take(paging.PageSize).Select(e => e.Id).ToListAsync(ct);
            }
        }
        else
        {
            if (query.CountAll)
            {
                total = await events.CountAsync(ct);
            }
            else
            {
                total = await events.Take(limit + 1).CountAsync(ct);
                if (total > limit)
                {
                    (total, exact) = (limit, false);
                }
            }

            // The page's keys first (answered from an index where the filter has one), then only those rows.
            var newest = selection.InIdOrder ? events.OrderByDescending(e => e.Id) : events.OrderByDescending(e => e.Sequence);
            pageIds = await newest.Skip(paging.Skip).Take(paging.PageSize).Select(e => e.Id).ToListAsync(ct);
        }

        var items = await db.AuditEvents.AsNoTracking().Where(e => pageIds.Contains(e.Id)).OrderByDescending(e => e.Sequence)
            .Select(ToEntry).ToListAsync(ct);
        return new AuditPage(items, total, exact);
    }

    /// <summary>Every matching event in sequence order, streamed from the database (memory stays flat however long the log).</summary>
    public async IAsyncEnumerable<AuditEntry> ExportAsync(Actor actor, AuditQuery query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.ReadAudit, ct);
        var selection = await FilterAsync(db, query, ct);
        var events = selection.InIdOrder ? selection.Events.OrderBy(e => e.Id) : selection.Events.OrderBy(e => e.Sequence);
        await foreach (var e in events.Select(ToEntry).AsAsyncEnumerable().WithCancellation(ct))
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
    public Task<AuditVerification> VerifyAsync(Actor actor, CancellationToken ct = default) => VerifyAsync(actor, null, ct);

    /// <summary>
    /// Recomputes the whole chain and, given a head kept from an earlier verification, checks the log still holds it
    /// (a log cut short is otherwise indistinguishable from a whole one).
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(Actor actor, AuditHead? expectedHead, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.ReadAudit, ct);
        return await AuditVerifier.VerifyAsync(db, expectedHead, ct);
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

    /// <summary>
    /// The filtered events. <see cref="InIdOrder"/>: they come from the text index, which yields them in row id order, so
    /// ordering by <see cref="AuditEvent.Id"/> (the same order as the sequence: both are assigned in the one write
    /// transaction that appends an event) lets the database stop after the page instead of sorting every match.
    /// </summary>
    private sealed record Selection(IQueryable<AuditEvent> Events, bool InIdOrder);

    private static async Task<Selection> FilterAsync(RegistryDbContext db, AuditQuery query, CancellationToken ct)
    {
        Validate(query);
        var text = query.Text?.Trim();
        var indexed = !string.IsNullOrEmpty(text) && !db.Database.IsNpgsql() && text.EnumerateRunes().Count() >= 3;
        var events = indexed ? SearchIndex(db, text!) : db.AuditEvents.AsNoTracking();
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

        if (!indexed && !string.IsNullOrEmpty(text))
        {
            events = MatchingText(db, events, text);
        }

        return new Selection(events, indexed);
    }

    /// <summary>
    /// SQLite, text of three characters or more: events whose data, entity id or actor name contain <paramref name="text"/>
    /// (case-insensitive), looked up in the trigram FTS5 index (AuditEventSearch, filled by a trigger) as one quoted phrase,
    /// which for trigrams means "contains" and lets no FTS syntax through. The event's id is read from the index's rowid,
    /// so an order by id is the index's own order: SQLite walks the matches in it, either way, and stops once it has what
    /// it needs (ordering by the event table's id would gather and sort every match first).
    /// </summary>
    private static IQueryable<AuditEvent> SearchIndex(RegistryDbContext db, string text)
    {
        var phrase = "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        return db.AuditEvents.FromSql($"""
            SELECT s.rowid AS "Id", e."Sequence", e."Time", e."ActorId", e."ActorName", e."Action", e."EntityType",
                   e."EntityId", e."ModelName", e."Data", e."PreviousHash", e."Hash"
            FROM AuditEventSearch AS s JOIN "AuditEvents" AS e ON e."Id" = s.rowid
            WHERE AuditEventSearch MATCH {phrase}
            """).AsNoTracking();
    }

    /// <summary>
    /// Events whose data, entity id or actor name contain <paramref name="text"/> (case-insensitive substring; %, _ and \ are
    /// literal). PostgreSQL: ILIKE, answered from the pg_trgm indexes. SQLite (text shorter than three characters, which
    /// has no trigram to look up): a LIKE scan.
    /// </summary>
    private static IQueryable<AuditEvent> MatchingText(RegistryDbContext db, IQueryable<AuditEvent> events, string text)
    {
        var pattern = Input.LikeContains(text);
        if (db.Database.IsNpgsql())
        {
            return events.Where(e => EF.Functions.ILike(e.Data, pattern, "\\") || EF.Functions.ILike(e.EntityId, pattern, "\\")
                || EF.Functions.ILike(e.ActorName, pattern, "\\"));
        }

        // SQLite's LIKE ignores (ASCII) case.
        return events.Where(e => EF.Functions.Like(e.Data, pattern, "\\") || EF.Functions.Like(e.EntityId, pattern, "\\")
            || EF.Functions.Like(e.ActorName, pattern, "\\"));
    }

    private static readonly System.Linq.Expressions.Expression<Func<AuditEvent, AuditEntry>> ToEntry = e =>
        new AuditEntry(e.Sequence, e.Time, e.ActorId, e.ActorName, e.Action, e.EntityType, e.EntityId, e.ModelName, e.Data, e.PreviousHash, e.Hash);
}
