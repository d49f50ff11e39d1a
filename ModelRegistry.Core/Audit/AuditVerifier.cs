using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Audit;

/// <summary>The outcome of re-computing the audit chain.</summary>
/// <param name="Valid">Every event's hash matches its content and its predecessor.</param>
/// <param name="Events">How many events were checked.</param>
/// <param name="FirstBrokenSequence">The first sequence number where the chain breaks, or null.</param>
/// <param name="HeadSequence">The newest event's sequence (the chain head).</param>
/// <param name="HeadHash">The newest event's hash; kept outside the registry, it later proves the log was not truncated.</param>
public sealed record AuditVerification(bool Valid, long Events, long? FirstBrokenSequence, long HeadSequence, string HeadHash);

/// <summary>Re-computes the whole chain, streaming the events in sequence order (memory stays flat).</summary>
public static class AuditVerifier
{
    public static async Task<AuditVerification> VerifyAsync(RegistryDbContext db, CancellationToken ct)
    {
        var expectedPrevious = AuditChain.GenesisHash;
        var expectedSequence = 1L;
        long count = 0;
        long? broken = null;
        var head = (Sequence: 0L, Hash: AuditChain.GenesisHash);
        await foreach (var e in db.AuditEvents.AsNoTracking().OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            count++;
            if (broken is null && (e.Sequence != expectedSequence || e.PreviousHash != expectedPrevious || AuditChain.ComputeHash(e) != e.Hash))
            {
                broken = expectedSequence;
            }

            expectedPrevious = e.Hash;
            expectedSequence = e.Sequence + 1;
            head = (e.Sequence, e.Hash);
        }

        return new AuditVerification(broken is null, count, broken, head.Sequence, head.Hash);
    }
}
