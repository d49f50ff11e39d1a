using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// Uploads, lists and opens a version's files; reads their headers into the version's metadata; verifies the
/// store. An upload is streamed to the store and hashed before anything is written to the database, and the
/// artifact row, the metadata it fills and its audit event are committed together.
/// </summary>
public sealed partial class ArtifactService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    VersionWriter writer,
    IArtifactStore store,
    BlobIntegrity integrity,
    IOptions<RegistryOptions> options,
    TimeProvider clock,
    ILogger<ArtifactService> logger)
{
    [GeneratedRegex(@"^[0-9a-fA-F]{64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Hex();

    /// <summary>The largest file accepted (<c>Registry:Artifacts:MaxFileBytes</c>).</summary>
    public long MaxFileBytes => options.Value.Artifacts.MaxFileBytes;

    /// <summary>The configured artifact store, for the resumable uploads that stage into it.</summary>
    internal IArtifactStore Store => store;

    /// <summary>A version's files by path; 404 when the model or version is unknown.</summary>
    public async Task<IReadOnlyList<ArtifactInfo>> ListAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
        var rows = await db.Artifacts.AsNoTracking().Where(a => a.VersionId == versionId).OrderBy(a => a.Path).ToListAsync(ct);
        return rows.Select(ToInfo).ToList();
    }

    /// <summary>
    /// Stores <paramref name="content"/> as the file <paramref name="path"/> of a version, replacing a file with the
    /// same path. DataScientist or Admin. The actor and the target are checked before a byte is read; the bytes
    /// are hashed while they stream to the store; with <see cref="UploadOptions.ExpectedSha256"/> a mismatch
    /// keeps nothing (422); past <see cref="MaxFileBytes"/> nothing is kept (413). Headers are read to fill empty
    /// metadata fields; one audit event <c>artifact.uploaded</c> records the upload.
    /// </summary>
    public async Task<UploadResult> UploadAsync(Actor actor, string modelName, int number, string path, Stream content,
        UploadOptions? upload = null, CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        var expected = upload?.ExpectedSha256 is { } e ? ParseChecksum(e) : null;
        await DemandWritableAsync(actor, modelName, number, ct);
        await using var staged = await store.StageAsync(content, MaxFileBytes, upload?.DeclaredLength, ct);
        return await CommitAsync(actor, modelName, number, normalized, staged, expected, alsoInTransaction: null, ct);
    }

    /// <summary>
    /// Stores the file <paramref name="path"/> of a version from bytes the model already holds, without receiving them
    /// again: when some version of the same model has a file whose SHA-256 is <paramref name="sha256"/>, the new file
    /// refers to that blob (content-addressed, so no byte is copied) and is committed exactly as an upload of those bytes
    /// would be — same permission, frozen rule, header reading, metadata, and one <c>artifact.uploaded</c> audit event
    /// (with <c>reused</c> true). Only this model's files count, so nobody learns of or obtains bytes of a model they
    /// might not see. 404 <c>blob_not_stored</c> when there is no such file (or its stored bytes are missing or known
    /// damaged): the caller sends the bytes instead. This is how <c>mreg push</c> sends nothing twice.
    /// </summary>
    public async Task<UploadResult> ReuseAsync(Actor actor, string modelName, int number, string path, string sha256,
        CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        var sha = ParseChecksum(sha256, ReuseField);
        await DemandWritableAsync(actor, modelName, number, ct);
        UploadResult result;
        string? previousSha;
        using (await store.LockAsync(sha, ct))
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var blobLock = await db.LockBlobAsync(sha, ct);
            var modelId = await db.RequireModelIdAsync(modelName, ct);
            var size = await db.Artifacts.AsNoTracking().Where(a => a.Version.ModelId == modelId && a.Sha256 == sha)
                .Select(a => (long?)a.Size).FirstOrDefaultAsync(ct);
            if (size is null || integrity.IsKnownDamaged(sha))
            {
                throw NotStored(modelName, sha);
            }

            FileInspection inspection;
            await using (var stored = await store.OpenReadAsync(sha, ct))
            {
                if (stored is null || stored.Length != size)
                {
                    throw NotStored(modelName, sha);
                }

                // The header readers are synchronous; off the request's thread, as a store may read over the network.
                inspection = await Task.Run(() => FileInspector.Inspect(normalized, stored, size.Value), ct);
            }

            (result, previousSha) = await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.Content,
                change => RecordAsync(change, normalized, sha, size.Value, inspection, alsoInTransaction: null, ct, reused: true), ct);
        }

        if (previousSha is not null && previousSha != sha)
        {
            await DeleteIfUnreferencedAsync(previousSha);
        }

        return result;
    }

    /// <summary>The request header of <see cref="ReuseAsync"/>, named in its validation errors.</summary>
    public const string ReuseField = "X-Registry-Reuse-Sha256";

    private static NotFoundException NotStored(string modelName, string sha) => new(
        $"No file of model '{modelName}' has the SHA-256 {sha}; send the bytes.", "blob_not_stored");

    /// <summary>
    /// What an upload checks before it reads a byte, as the upload may be hundreds of GB: the actor may edit models,
    /// the version exists (404), it is not frozen (409 <c>version_frozen</c>). The commit checks all of it again.
    /// </summary>
    public async Task DemandWritableAsync(Actor actor, string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.EditModels, ct);
        await db.RequireVersionIdAsync(modelName, number, ct);
        await guard.DemandModelWriteAsync(db, actor, modelName, ct);
        if (await db.Versions.AsNoTracking().Numbered(modelName, number).Where(v => v.FrozenAt != null)
                .Select(v => new { v.FrozenAt, v.FrozenByRequestId }).SingleOrDefaultAsync(ct) is { } frozen)
        {
            throw new VersionFrozenException(modelName, number, frozen.FrozenAt!.Value, frozen.FrozenByRequestId);
        }
    }

    /// <summary>
    /// Commits bytes already staged in the store as the file <paramref name="normalized"/> of a version, as every upload
    /// does at its end (a PUT's body, a resumable upload's last byte): the declared checksum (422 on a mismatch), the
    /// headers read into the version's metadata, the permission again, the version's own rules and the audit event in
    /// one transaction (<see cref="VersionWriter"/>), then the blob published under its hash. <paramref name="alsoInTransaction"/>
    /// records what the caller must commit together with the file (a resumable upload marks itself complete).
    /// </summary>
    internal async Task<UploadResult> CommitAsync(Actor actor, string modelName, int number, string normalized, StagedBlob staged,
        string? expected, Func<VersionChange, Task>? alsoInTransaction, CancellationToken ct)
    {
        if (expected is not null && expected != staged.Sha256)
        {
            throw new ChecksumMismatchException(expected, staged.Sha256);
        }

        // The header readers are synchronous; off the request's thread, as a store may read over the network.
        var inspection = await Task.Run(() =>
        {
            using var file = staged.OpenRead();
            return FileInspector.Inspect(normalized, file, staged.Size);
        }, ct);

        UploadResult result;
        string? previousSha;
        using (await store.LockAsync(staged.Sha256, ct))
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var blobLock = await db.LockBlobAsync(staged.Sha256, ct);
            // Again: a long upload gives time for a role to be revoked.
            await guard.DemandAsync(db, actor, Permission.EditModels, ct);
            if (store.PublishesBeforeCommit)
            {
                (result, previousSha) = await PublishThenRecordAsync(db, actor, modelName, number, normalized, staged, inspection,
                    alsoInTransaction, ct);
            }
            else
            {
                (result, previousSha) = await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.Content,
                    change => RecordAsync(change, normalized, staged.Sha256, staged.Size, inspection, alsoInTransaction, ct), ct);
                try
                {
                    // Not cancellable: the row is committed, so its bytes must reach their place.
                    await store.PromoteAsync(staged, CancellationToken.None);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArtifactStoreUnavailableException)
                {
                    // The row is committed; the complete file stays in tmp/ (named by its hash) for the start-up sweep
                    // to move into place.
                    staged.Settled = true;
                    logger.BlobNotPromoted(ex, normalized, staged.Sha256);
                    throw;
                }
            }
        }

        if (previousSha is not null && previousSha != staged.Sha256)
        {
            await DeleteIfUnreferencedAsync(previousSha);
        }

        return result;
    }

    /// <summary>
    /// For a store that cannot rename (S3): the verified blob goes into place first and the row is committed after,
    /// so a committed row always has its bytes. A crash in between leaves a blob no row refers to (verify-artifacts
    /// lists it as unreferenced); a failed commit removes the blob again unless it was stored before. The caller holds
    /// the hash's lock, so no delete in this process can take the blob away before the row exists.
    /// </summary>
    private async Task<(UploadResult, string?)> PublishThenRecordAsync(RegistryDbContext db, Actor actor, string modelName, int number,
        string normalized, StagedBlob staged, FileInspection inspection, Func<VersionChange, Task>? alsoInTransaction, CancellationToken ct)
    {
        var existed = await store.ExistsAsync(staged.Sha256, ct);
        await store.PromoteAsync(staged, ct);
        if (!existed)
        {
            // The bytes now under the hash are the ones just hashed on their way in: verified (decision 9), so a range
            // or a presigned download need not read them again.
            integrity.MarkIntact(staged.Sha256, await store.StampAsync(staged.Sha256, ct));
        }

        try
        {
            return await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.Content,
                change => RecordAsync(change, normalized, staged.Sha256, staged.Size, inspection, alsoInTransaction, ct), ct);
        }
        catch when (!existed)
        {
            await store.DeleteAsync(staged.Sha256, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Opens a file for download; 404 when the version or the file is unknown, <see cref="ArtifactIntegrityException"/>
    /// (500) when its bytes are missing from the store, have the wrong length, or were found damaged before. Read from
    /// start to end, the content checks the bytes against their SHA-256 before handing over the last of them
    /// (<see cref="VerifyingStream"/>) and remembers the outcome. For part of a file (<paramref name="partial"/>, a
    /// range request) the whole blob is re-hashed first unless it was verified since the store last changed it
    /// (docs/decisions/0009). Always through the registry; <see cref="DownloadAsync"/> may hand out a presigned URL.
    /// </summary>
    public async Task<ArtifactContent> OpenAsync(string modelName, int number, string path, bool partial = false,
        CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        Artifact row;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            row = await FindAsync(db, modelName, number, normalized, ct);
        }

        return await OpenRowAsync(row, modelName, number, partial, ct);
    }

    /// <summary>
    /// A download as the REST API and <c>/hf</c> serve it: the actor may browse, the file exists (404 otherwise) and is
    /// not known to be damaged (500); then either its bytes through the registry, exactly as <see cref="OpenAsync"/>
    /// opens them, or — with <c>Registry:Artifacts:S3:PresignDownloads</c> on a store that can presign — a URL of the
    /// store valid for <c>PresignMinutes</c>. A URL is handed out only for a blob verified since the store last changed
    /// it, because the registry does not see those bytes pass (docs/decisions/0019): a whole download of an unverified
    /// blob streams through the registry (which verifies and remembers it), a range re-hashes it first (as for ranges
    /// served here), a HEAD answers from the registry. Like <see cref="OpenAsync"/>, records no audit event: a version's
    /// files are the one thing a model card may link to or embed, and no GET a card can embed records anything.
    /// </summary>
    public async Task<ArtifactDownload> DownloadAsync(Actor actor, string modelName, int number, string path, DownloadKind kind,
        CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        Artifact row;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await guard.DemandAsync(db, actor, Permission.Browse, ct);
            row = await FindAsync(db, modelName, number, normalized, ct);
        }

        if (integrity.IsKnownDamaged(row.Sha256))
        {
            throw Damaged(normalized);
        }

        var s3 = options.Value.Artifacts.S3;
        if (s3.PresignDownloads && store.CanPresignReads && await IsVerifiedForPresignAsync(row, normalized, kind, ct))
        {
            var url = await store.PresignReadAsync(row.Sha256, TimeSpan.FromMinutes(s3.PresignMinutes),
                new PresignedResponse(row.ContentType, ArtifactPath.FileName(normalized)), ct);
            return new ArtifactDownload(ToInfo(row), content: null, url);
        }

        var content = await OpenRowAsync(row, modelName, number, kind == DownloadKind.Range, ct);
        return new ArtifactDownload(content.Info, content, presigned: null);
    }

    /// <summary>Whether the blob may be handed out by URL: verified under the store's current stamp (a range re-hashes it first).</summary>
    private async Task<bool> IsVerifiedForPresignAsync(Artifact row, string normalized, DownloadKind kind, CancellationToken ct)
    {
        if (integrity.IsKnownIntact(row.Sha256, await store.StampAsync(row.Sha256, ct)))
        {
            return true;
        }

        if (kind != DownloadKind.Range)
        {
            return false;
        }

        await EnsureIntactAsync(row, normalized, ct);
        // Still unverified when the blob changed while it was read: then it is served here, re-checked once more.
        return integrity.IsKnownIntact(row.Sha256, await store.StampAsync(row.Sha256, ct));
    }

    private static async Task<Artifact> FindAsync(RegistryDbContext db, string modelName, int number, string normalized, CancellationToken ct)
    {
        var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
        return await db.Artifacts.AsNoTracking().SingleOrDefaultAsync(a => a.VersionId == versionId && a.Path == normalized, ct)
            ?? throw new NotFoundException($"Version {number} of '{modelName}' has no file '{normalized}'.");
    }

    private async Task<ArtifactContent> OpenRowAsync(Artifact row, string modelName, int number, bool partial, CancellationToken ct)
    {
        var normalized = row.Path;
        if (integrity.IsKnownDamaged(row.Sha256))
        {
            throw Damaged(normalized);
        }

        if (partial)
        {
            // Reading a whole blob for a range happens outside the lock, which other uploads share.
            await EnsureIntactAsync(row, normalized, ct);
        }

        // Waits for an upload of the same bytes that has committed but not yet moved its blob into place.
        using (await store.LockAsync(row.Sha256, ct))
        {
            var stream = await store.OpenReadAsync(row.Sha256, ct);
            if (stream is null)
            {
                logger.BlobMissing(row.Sha256, modelName, number, normalized);
                throw new ArtifactIntegrityException(
                    $"The stored bytes of '{normalized}' are missing from the artifact store; an operator should run verify-artifacts.");
            }

            var length = stream.Length;
            if (length != row.Size)
            {
                await stream.DisposeAsync();
                logger.BlobWrongLength(row.Sha256, modelName, number, normalized, length, row.Size);
                throw new ArtifactIntegrityException(
                    $"The stored bytes of '{normalized}' are damaged ({length} bytes, recorded {row.Size}); an operator should run verify-artifacts.");
            }

            var stamp = await store.StampAsync(row.Sha256, ct);
            return new ArtifactContent(ToInfo(row), new VerifyingStream(stream, row.Sha256, row.Size,
                intact => Record(row.Sha256, intact, stamp), verifiedBefore: integrity.IsKnownIntact(row.Sha256, stamp)));
        }
    }

    /// <summary>Re-hashes the whole blob before part of it is served, unless it was verified under the store's current stamp.</summary>
    private async Task EnsureIntactAsync(Artifact row, string normalized, CancellationToken ct)
    {
        var stamp = await store.StampAsync(row.Sha256, ct);
        if (integrity.IsKnownIntact(row.Sha256, stamp))
        {
            return;
        }

        var digest = await store.HashAsync(row.Sha256, ct);
        if (digest is null)
        {
            throw new ArtifactIntegrityException(
                $"The stored bytes of '{normalized}' are missing from the artifact store; an operator should run verify-artifacts.");
        }

        var intact = digest.Sha256 == row.Sha256 && digest.Length == row.Size;
        // Only what was read counts: a change while hashing leaves the blob unverified for the next request.
        Record(row.Sha256, intact, stamp == await store.StampAsync(row.Sha256, ct) ? stamp : null);
        if (!intact)
        {
            throw Damaged(normalized);
        }
    }

    private void Record(string sha256, bool intact, string? stamp)
    {
        if (intact)
        {
            integrity.MarkIntact(sha256, stamp);
            return;
        }

        integrity.MarkDamaged(sha256);
        logger.BlobDamaged(sha256);
    }

    private static ArtifactIntegrityException Damaged(string normalized) => new(
        $"The stored bytes of '{normalized}' are damaged; the registry will not serve them. " +
        "An operator should run verify-artifacts and upload the file again or restore it from a backup.");

    /// <summary>Which of a version's metadata came from its files, and where files disagree with what a person entered.</summary>
    public async Task<MetadataOrigins> MetadataOriginsAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
        var version = await db.Versions.AsNoTracking().SingleAsync(v => v.Id == versionId, ct);
        var fills = await db.MetadataFills.AsNoTracking().Where(f => f.VersionId == versionId).ToListAsync(ct);
        var files = await FileFactsAsync(db, versionId, exceptPath: null, ct);
        return MetadataMerge.Origins(version, fills, files);
    }

    /// <summary>
    /// Resolves a conflict the files' way: <paramref name="field"/> takes the value the version's file headers give, and
    /// from then on counts as filled from a file (later files refresh it). DataScientist or Admin; refused on a frozen
    /// version; 400 when the files give no value for the field. Audited as a version update with before and after.
    /// </summary>
    public async Task<MetadataOrigins> UseFileValueAsync(Actor actor, string modelName, int number, string field,
        CancellationToken ct = default)
    {
        if (!MetadataFields.All.Contains(field))
        {
            throw ValidationFailedException.For("field", $"Files give only {string.Join(", ", MetadataFields.All)}.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.Content, async change =>
        {
            var version = change.Version;
            var files = await FileFactsAsync(db, version.Id, exceptPath: null, ct);
            var derived = MetadataMerge.Derive(files).FirstOrDefault(d => d.Field == field)
                ?? throw ValidationFailedException.For("field", $"No file of version {number} gives a value for {field}.");
            var before = MetadataFields.Get(version.Metadata, field);
            MetadataFields.Set(version.Metadata, field, derived.Value);
            var fill = await db.MetadataFills.SingleOrDefaultAsync(f => f.VersionId == version.Id && f.Field == field, ct);
            if (fill is null)
            {
                db.MetadataFills.Add(new MetadataFill(version.Id, field, derived.Value, derived.Source, change.Now));
            }
            else
            {
                fill.Update(derived.Value, derived.Source, change.Now);
            }

            MetadataProvenance.Set(version, field, FieldOrigin.FileHeader);
            version.Touch(change.Now);
            version.Model.Touch(change.Now);
            change.Audit(AuditActions.VersionUpdated, AuditEntities.Version, $"{modelName}/{number}", new
            {
                field,
                before,
                after = derived.Value,
                origin = "file-header",
                source = derived.Source,
            });
            return true;
        }, ct);

        return await MetadataOriginsAsync(modelName, number, ct);
    }

    /// <summary>
    /// Re-hashes every blob the database refers to and reports any that is missing or whose bytes no longer
    /// match its name, with the files affected. Reads the whole store; safe while the server runs.
    /// </summary>
    public async Task<StoreVerification> VerifyAsync(IProgress<string>? progress = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Artifacts.AsNoTracking()
            .Select(a => new { a.Sha256, a.Size, Model = a.Version.Model.Name, a.Version.Number, a.Path })
            .ToListAsync(ct);
        var problems = new List<BlobProblem>();
        long bytes = 0;
        var checkedCount = 0;
        foreach (var blob in rows.GroupBy(r => r.Sha256).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var files = blob.Select(r => $"{r.Model}/{r.Number}/{r.Path}").Order(StringComparer.Ordinal).ToList();
            progress?.Report($"{blob.Key} {string.Join(", ", files)}");
            var actual = await store.HashAsync(blob.Key, ct);
            checkedCount++;
            if (actual is null)
            {
                problems.Add(new BlobProblem(blob.Key, "missing", files));
                continue;
            }

            var length = actual.Length;
            bytes += length;
            if (actual.Sha256 != blob.Key)
            {
                problems.Add(new BlobProblem(blob.Key, $"hash mismatch: the bytes now hash to {actual.Sha256}", files));
            }
            else if (length != blob.First().Size)
            {
                problems.Add(new BlobProblem(blob.Key, $"size mismatch: {length} bytes, recorded {blob.First().Size}", files));
            }
        }

        var referenced = rows.Select(r => r.Sha256).ToHashSet(StringComparer.Ordinal);
        var unreferenced = new List<string>();
        await foreach (var b in store.EnumerateBlobsAsync(ct))
        {
            if (!referenced.Contains(b))
            {
                unreferenced.Add(b);
            }
        }

        unreferenced.Sort(StringComparer.Ordinal);
        return new StoreVerification(checkedCount, bytes, problems, unreferenced);
    }

    /// <summary>
    /// Start-up recovery: removes the temporary files of uploads cut off by a crash, and moves into place the blob of
    /// an upload that was committed just before one. Run before the server takes uploads. On PostgreSQL, where several
    /// instances may share the store, only leftovers older than <see cref="FileSystemArtifactStore.UnfinishedUploadGrace"/>
    /// go (a younger one may be another instance's upload in progress); on SQLite there is one instance, so all go.
    /// </summary>
    public Task<(int Removed, int Recovered)> RecoverStoreAsync(CancellationToken ct = default) =>
        store.SweepAsync(async (sha, c) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(c);
            return await db.Artifacts.AnyAsync(a => a.Sha256 == sha, c);
        }, options.Value.Database == DatabaseProvider.Postgres
            ? clock.GetUtcNow() - FileSystemArtifactStore.UnfinishedUploadGrace
            : clock.GetUtcNow(), ct);

    private static async Task<(UploadResult, string?)> RecordAsync(VersionChange change, string path, string sha256, long size,
        FileInspection inspection, Func<VersionChange, Task>? alsoInTransaction, CancellationToken ct, bool reused = false)
    {
        if (alsoInTransaction is not null)
        {
            await alsoInTransaction(change);
        }

        var (db, actor, version, now) = (change.Db, change.Actor, change.Version, change.Now);
        var (modelName, number) = (change.ModelName, version.Number);
        var contentType = ContentTypes.For(path);
        var artifact = await db.Artifacts.SingleOrDefaultAsync(a => a.VersionId == version.Id && a.Path == path, ct);
        var previous = artifact is null ? null : new { sha256 = artifact.Sha256, size = artifact.Size };
        if (artifact is null)
        {
            artifact = new Artifact(version, path, sha256, size, contentType, inspection, actor.UserId, actor.DisplayName, now);
            db.Artifacts.Add(artifact);
        }
        else
        {
            artifact.Replace(sha256, size, contentType, inspection, actor.UserId, actor.DisplayName, now);
        }

        var files = await FileFactsAsync(db, version.Id, exceptPath: path, ct);
        files.Add(new MetadataMerge.FileFacts(path, artifact.Kind, artifact.Header, artifact.HeaderProblem));
        var fills = await db.MetadataFills.Where(f => f.VersionId == version.Id).ToDictionaryAsync(f => f.Field, ct);
        var merge = MetadataMerge.Apply(version, fills, MetadataMerge.Derive(files), now, fill => db.MetadataFills.Add(fill));
        version.Touch(now);
        version.Model.Touch(now);

        var info = ToInfo(artifact);
        change.Audit(AuditActions.ArtifactUploaded, AuditEntities.Artifact, $"{modelName}/{number}/{path}", new
        {
            path,
            size = size,
            sha256 = sha256,
            contentType,
            kind = artifact.Kind.ToString(),
            replaced = previous,
            reused,
            flags = info.Flags,
            filled = merge.Filled,
            conflicts = merge.Conflicts,
        });
        return (new UploadResult(info, previous is not null, merge.Filled, merge.Conflicts), previous?.sha256);
    }

    /// <summary>
    /// Gives <paramref name="version"/> (new, saved, in the caller's transaction) every file of version
    /// <paramref name="fromVersionId"/> by reference: new rows naming the same blobs, which the store keeps once, so no
    /// byte is copied. The files' header facts and the metadata they filled in come along. Returns how many files.
    /// </summary>
    internal static async Task<int> CarryOverAsync(RegistryDbContext db, long fromVersionId, ModelVersion version, CancellationToken ct)
    {
        var files = await db.Artifacts.AsNoTracking().Where(a => a.VersionId == fromVersionId).ToListAsync(ct);
        foreach (var f in files)
        {
            var inspection = new FileInspection(f.Kind, version.Metadata.Format, f.UnsafeFormat, f.HeaderProblem, f.Header);
            db.Artifacts.Add(new Artifact(version, f.Path, f.Sha256, f.Size, f.ContentType, inspection, f.UploadedByUserId,
                f.UploadedBy, f.UploadedAt));
        }

        var fills = await db.MetadataFills.AsNoTracking().Where(f => f.VersionId == fromVersionId).ToListAsync(ct);
        foreach (var fill in fills)
        {
            db.MetadataFills.Add(new MetadataFill(version.Id, fill.Field, fill.Value, fill.Source, fill.FilledAt));
        }

        return files.Count;
    }

    private async Task DeleteIfUnreferencedAsync(string sha256)
    {
        // Not cancellable: it is quick, and a skipped delete would leave a blob nobody refers to.
        using (await store.LockAsync(sha256, CancellationToken.None))
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            // Across instances too: another instance's upload of these bytes either committed its row before this
            // check, or waits until the blob is gone and stores it again.
            await using var blobLock = await db.LockBlobAsync(sha256, CancellationToken.None);
            if (!await db.Artifacts.AnyAsync(a => a.Sha256 == sha256))
            {
                try
                {
                    await store.DeleteAsync(sha256, CancellationToken.None);
                }
                catch (ArtifactStoreUnavailableException e)
                {
                    // The upload itself succeeded; a blob nobody refers to is harmless (verify-artifacts lists it).
                    logger.UnreferencedBlobNotDeleted(e, sha256);
                }
            }
        }
    }

    private static async Task<List<MetadataMerge.FileFacts>> FileFactsAsync(RegistryDbContext db, long versionId, string? exceptPath,
        CancellationToken ct)
    {
        var rows = await db.Artifacts.AsNoTracking()
            .Where(a => a.VersionId == versionId && (exceptPath == null || a.Path != exceptPath))
            .Select(a => new { a.Path, a.Kind, a.Header, a.HeaderProblem })
            .ToListAsync(ct);
        return rows.Select(r => new MetadataMerge.FileFacts(r.Path, r.Kind, r.Header, r.HeaderProblem)).ToList();
    }

    internal static string ParseChecksum(string value, string field = "X-Checksum-Sha256")
    {
        var v = value.Trim();
        if (!Sha256Hex().IsMatch(v))
        {
            throw ValidationFailedException.For(field, $"{field} must be 64 hexadecimal characters (the SHA-256 of the file).");
        }

        return v.ToLowerInvariant();
    }

    internal static ArtifactInfo ToInfo(Artifact a)
    {
        var flags = new List<string>();
        if (a.UnsafeFormat)
        {
            flags.Add(FileInspector.UnsafeReason);
        }

        if (a.HeaderProblem is not null)
        {
            flags.Add($"header unreadable: {a.HeaderProblem}");
        }

        return new ArtifactInfo(a.Path, a.Size, a.Sha256, a.ContentType, a.Kind, a.UnsafeFormat, a.HeaderProblem, flags,
            a.Header, a.UploadedBy, a.UploadedAt);
    }
}

/// <summary>
/// How a download was asked for: the whole file (no <c>Range</c>, or <c>bytes=0-</c>), part of it (<c>Range</c>), or its
/// headers only (<c>HEAD</c>).
/// </summary>
public enum DownloadKind
{
    Whole,
    Range,
    Head,
}

/// <summary>
/// A download decided by <see cref="ArtifactService.DownloadAsync"/>: the file's description, and either its bytes
/// through the registry (<see cref="Content"/>) or a URL of the store to redirect to (<see cref="Presigned"/>).
/// Dispose it.
/// </summary>
public sealed class ArtifactDownload(ArtifactInfo info, ArtifactContent? content, PresignedRead? presigned) : IAsyncDisposable
{
    public ArtifactInfo Info { get; } = info;

    /// <summary>The bytes, served by the registry; null when <see cref="Presigned"/> is set.</summary>
    public ArtifactContent? Content { get; } = content;

    /// <summary>Where the client reads the bytes from instead (a presigned URL of the bucket), or null.</summary>
    public PresignedRead? Presigned { get; } = presigned;

    public ValueTask DisposeAsync() => Content?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>An open file for download: its description and its bytes (seekable, for ranges). Dispose it.</summary>
public sealed class ArtifactContent(ArtifactInfo info, Stream content) : IAsyncDisposable
{
    public ArtifactInfo Info { get; } = info;
    public Stream Content { get; } = content;

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
