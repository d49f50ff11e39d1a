using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Audit;

/// <summary>
/// Appends events to the hash chain. Callers record inside the same transaction as the change
/// (<see cref="RegistryDbContext.InTransactionAsync{T}"/>), so a change is never saved unrecorded
/// and a failed change records nothing.
/// </summary>
public sealed class AuditTrail(TimeProvider clock, IEnumerable<IAuditObserver> observers)
{
    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Adds the next event of the chain to <paramref name="db"/>; it is written by the caller's SaveChanges.</summary>
    public async Task<AuditEvent> RecordAsync(RegistryDbContext db, Actor actor, string action, string entityType,
        string entityId, string? modelName, object? data, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Audit events must be recorded inside the transaction of the change.");
        }

        var pending = db.AuditEvents.Local
            .Where(e => db.Entry(e).State == EntityState.Added)
            .MaxBy(e => e.Sequence);
        var (lastSequence, lastHash) = pending is not null
            ? (pending.Sequence, pending.Hash)
            : await db.AuditEvents.AsNoTracking()
                .OrderByDescending(e => e.Sequence)
                .Select(e => new ValueTuple<long, string>(e.Sequence, e.Hash))
                .FirstOrDefaultAsync(ct);
        if (lastHash is null || lastSequence == 0)
        {
            lastHash = AuditChain.GenesisHash;
        }

        var sequence = lastSequence + 1;
        var time = AuditChain.StoredTime(clock.GetUtcNow());
        var json = JsonSerializer.Serialize(data ?? new { }, DataJson);
        var hash = AuditChain.ComputeHash(sequence, time, actor.UserId, actor.DisplayName, action, entityType, entityId,
            modelName, json, lastHash);
        var e = new AuditEvent(sequence, time, actor.UserId, actor.DisplayName, action, entityType, entityId, modelName,
            json, lastHash, hash);
        db.AuditEvents.Add(e);
        foreach (var observer in observers)
        {
            await observer.OnRecordedAsync(db, e, ct);
        }

        return e;
    }
}
