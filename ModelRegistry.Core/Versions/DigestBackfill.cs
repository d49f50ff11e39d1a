using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Versions;

/// <summary>
/// Computes the digest of every version written before digests existed (migration <c>VersionDigests</c> leaves them
/// empty: a digest is SHA-256 over canonical JSON, which neither SQLite nor PostgreSQL computes in SQL). Runs at start-up
/// after the migrations, in batches, from stored hashes and fields only; a version that has a digest is never touched,
/// so it runs once and costs one query when there is nothing to do.
/// </summary>
public static class DigestBackfill
{
    private const int BatchSize = 500;

    /// <summary>Fills every missing digest; returns how many versions it filled.</summary>
    public static async Task<int> FillMissingAsync(RegistryDbContext db, CancellationToken ct)
    {
        var filled = 0;
        var after = 0L;
        while (true)
        {
            // Keyset paging on the primary key: each batch starts where the last ended instead of scanning the table
            // again for empty digests (no index has Digest first), so 100k versions cost 200 short range reads.
            var batch = await db.Versions.Include(v => v.Model).Where(v => v.Id > after && v.Digest == "")
                .OrderBy(v => v.Id).Take(BatchSize).ToListAsync(ct);
            if (batch.Count == 0)
            {
                // Requests made before digests existed: where the version's content has not changed since (same content
                // revision), the digest it was requested at is the one just computed.
                await db.Database.ExecuteSqlRawAsync("""
                    UPDATE "TransitionRequests" SET "RequestedDigest" =
                        (SELECT v."Digest" FROM "Versions" v WHERE v."Id" = "TransitionRequests"."VersionId")
                    WHERE "RequestedDigest" = '' AND EXISTS (SELECT 1 FROM "Versions" v
                        WHERE v."Id" = "TransitionRequests"."VersionId" AND v."Digest" <> ''
                          AND v."ContentRevision" = "TransitionRequests"."ContentRevision")
                    """, ct);
                return filled;
            }

            var ids = batch.Select(v => v.Id).ToList();
            after = ids[^1];
            var files = (await db.Artifacts.AsNoTracking().Where(a => ids.Contains(a.VersionId))
                    .Select(a => new { a.VersionId, a.Path, a.Size, a.Sha256 }).ToListAsync(ct))
                .ToLookup(a => a.VersionId, a => new ManifestFile(a.Path, a.Size, a.Sha256));
            var cards = (await db.CardRevisions.AsNoTracking().Where(r => ids.Contains(r.VersionId))
                    .GroupBy(r => r.VersionId)
                    .Select(g => g.OrderByDescending(r => r.Number).Select(r => new { r.VersionId, r.Sha256, r.SizeBytes }).First())
                    .ToListAsync(ct))
                .ToDictionary(c => c.VersionId, c => c.SizeBytes > 0 ? c.Sha256 : null);
            foreach (var version in batch)
            {
                var manifest = VersionManifest.Of(version.Model.Name, version, files[version.Id], cards.GetValueOrDefault(version.Id));
                version.SetDigest(manifest.Digest);
            }

            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            filled += batch.Count;
        }
    }
}
