using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Artifacts.Uploads;

/// <summary>
/// Resumable uploads (the rules behind the API's tus 1.0 endpoints; docs/design.md, "Storage rules"): a file arrives
/// in as many requests as the connection needs, each continuing at the offset the registry kept, and its last byte
/// commits it exactly as a PUT would (<see cref="ArtifactService"/>: permission, frozen rule, checksum, headers, audit).
/// <list type="bullet">
/// <item>Creation checks the permission and the frozen rule before a byte is sent; the commit checks them again.</item>
/// <item>An upload belongs to its creator: to anyone else it does not exist (404).</item>
/// <item>The SHA-256 is computed as bytes arrive and saved with every checkpoint (<see cref="ResumableSha256"/>), so it
/// survives a restart; a checkpoint saves offset, hash state and the store's state in one row update, after the store
/// made the bytes durable (docs/decisions/0019).</item>
/// <item>One request writes at a time (a lease in the row; another gets 409 <c>upload_busy</c>); a wrong offset is 409.</item>
/// <item>With a chunk checksum the chunk is all or nothing: verified before anything of it is saved (460 otherwise).</item>
/// <item>An upload that receives nothing for <c>Registry:Artifacts:UploadExpiryHours</c> expires and is swept.</item>
/// </list>
/// </summary>
public sealed class ResumableUploadService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    ArtifactService artifacts,
    IResumableStaging staging,
    IOptions<RegistryOptions> options,
    TimeProvider clock,
    ILogger<ResumableUploadService> logger)
{
    /// <summary>Checksum algorithms a PATCH may name in <c>Upload-Checksum</c>.</summary>
    public static readonly IReadOnlyList<string> ChecksumAlgorithms = ["sha1", "sha256"];

    /// <summary>How long a request's hold on an upload lasts unless renewed (it is, every third of this, while the request runs).</summary>
    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(30);

    /// <summary>Staged bytes no upload row accounts for (a crash between the store and the database) go after this.</summary>
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromHours(1);

    private const int ChunkBytes = FileSystemArtifactStore.ChunkSize;

    /// <summary>The header a PATCH may carry with the whole file's SHA-256 (as a PUT does).</summary>
    public const string FileChecksumField = "X-Checksum-Sha256";

    // For the lease, a nested type, which cannot see the primary constructor's parameters.
    private IDbContextFactory<RegistryDbContext> DbFactory => dbFactory;
    private TimeProvider Clock => clock;
    private ILogger Log => logger;

    public long MaxFileBytes => artifacts.MaxFileBytes;

    public TimeSpan Expiry => TimeSpan.FromHours(options.Value.Artifacts.UploadExpiryHours);

    /// <summary>How often a running server looks for expired uploads.</summary>
    public TimeSpan SweepInterval => TimeSpan.FromMinutes(Math.Clamp(Expiry.TotalMinutes / 4, 1, 15));

    /// <summary>
    /// Starts an upload of <paramref name="input"/>.Length bytes as the file <paramref name="input"/>.Path of a version.
    /// DataScientist or Admin, and not on a frozen version (409 <c>version_frozen</c>); over
    /// <c>Registry:Artifacts:MaxFileBytes</c> is 413. An empty file is committed at once.
    /// </summary>
    public async Task<ResumableUploadInfo> CreateAsync(Actor actor, string modelName, int number, NewResumableUpload input,
        CancellationToken ct = default)
    {
        var path = ArtifactPath.Normalize(input.Path);
        var expected = input.Sha256 is { } sha ? ArtifactService.ParseChecksum(sha, "Upload-Metadata sha256") : null;
        if (input.Length < 0)
        {
            throw ValidationFailedException.For("Upload-Length", "Upload-Length must be a non-negative integer.");
        }

        if (input.Length > MaxFileBytes)
        {
            throw new PayloadTooLargeException($"A file may be at most {MaxFileBytes} bytes (Registry:Artifacts:MaxFileBytes).");
        }

        if (input.Metadata?.Length > ResumableUpload.MaxMetadataLength)
        {
            throw ValidationFailedException.For("Upload-Metadata", $"Upload-Metadata may be at most {ResumableUpload.MaxMetadataLength} characters.");
        }

        await artifacts.DemandWritableAsync(actor, modelName, number, ct);
        var id = ResumableUploadIds.New();
        var now = clock.GetUtcNow();
        if (input.Length == 0)
        {
            // Nothing to send: tus clients consider an empty upload done once created, so the file is committed now.
            await using var empty = await artifacts.Store.StageAsync(Stream.Null, MaxFileBytes, 0, ct);
            await artifacts.CommitAsync(actor, modelName, number, path, empty, expected, change =>
            {
                var row = new ResumableUpload(id, change.Version.Id, path, 0, expected, input.Metadata, staging.Kind, "",
                    new ResumableSha256().Export(), actor.UserId, now, now + Expiry);
                row.Complete(empty.Sha256, change.Now);
                change.Db.Uploads.Add(row);
                return Task.CompletedTask;
            }, ct);
            return new ResumableUploadInfo(id, modelName, number, path, 0, 0, now + Expiry, input.Metadata, empty.Sha256);
        }

        var state = await staging.BeginAsync(id, input.Length, ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await db.InTransactionAsync(async () =>
            {
                var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
                db.Uploads.Add(new ResumableUpload(id, versionId, path, input.Length, expected, input.Metadata, staging.Kind, state,
                    new ResumableSha256().Export(), actor.UserId, now, now + Expiry));
                return true;
            }, ct);
        }
        catch
        {
            await DiscardQuietlyAsync(id, state);
            throw;
        }

        return new ResumableUploadInfo(id, modelName, number, path, input.Length, 0, now + Expiry, input.Metadata, null);
    }

    /// <summary>Where the actor's upload stands; 404 when there is no such upload of theirs (or it expired).</summary>
    public async Task<ResumableUploadInfo> GetAsync(Actor actor, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await FindAsync(db, actor, id, ct)).Info;
    }

    /// <summary>
    /// Appends <paramref name="body"/> at <paramref name="offset"/>, which must be where the upload stands (409
    /// <c>upload_offset_mismatch</c>); a request already writing to it makes this one 409 <c>upload_busy</c>. Without a
    /// <paramref name="checksum"/> whatever arrives is kept, also when the connection breaks; with one, the chunk is
    /// kept only if it matches (460 <see cref="ChunkChecksumMismatchException"/>). <paramref name="fileSha256"/>, the whole
    /// file's SHA-256 (a client that hashes while sending knows it by its last PATCH), is saved before a byte is read; one
    /// that contradicts the hash saved before is 400. The last byte commits the file, checked against the expected hash
    /// (422 <see cref="ChecksumMismatchException"/>, and the upload is removed).
    /// </summary>
    public async Task<AppendResult> AppendAsync(Actor actor, string id, long offset, Stream body, long? contentLength,
        ChunkChecksum? checksum, string? fileSha256 = null, CancellationToken ct = default)
    {
        var fileHash = fileSha256 is null ? null : ArtifactService.ParseChecksum(fileSha256, FileChecksumField);
        var hashes = checksum is null ? null : ChunkHash(checksum.Algorithm);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (row, info) = await FindAsync(db, actor, id, ct);
        if (row.IsCompleted)
        {
            // A client whose last response was lost asks again: all bytes are here and the file is committed.
            if (fileHash is not null && fileHash != row.Sha256)
            {
                throw Contradicts(fileHash, row.Sha256!);
            }

            return offset == row.Length && contentLength is 0 or null && await IsEmptyAsync(body, ct)
                ? new AppendResult(info, null)
                : throw OffsetMismatch(offset, row.Length);
        }

        if (offset != row.Offset)
        {
            throw OffsetMismatch(offset, row.Offset);
        }

        if (contentLength is { } declared && offset + declared > row.Length)
        {
            throw ValidationFailedException.For("Content-Length",
                $"The chunk would end at byte {offset + declared}, past the upload's length of {row.Length}.");
        }

        await using var lease = await Lease.TakeAsync(this, actor, row, ct);
        // Taking the lease read the row again: it may have moved since the first look.
        if (lease.Offset != offset)
        {
            throw OffsetMismatch(offset, lease.Offset);
        }

        if (fileHash is not null)
        {
            // The whole file's hash, known to the client only once it has read the file (it sends it with its last
            // PATCH): saved before a byte of this request is read, so the commit checks it even if this request breaks
            // and another one brings the last byte. It may be repeated, never changed.
            if (lease.ExpectedSha256 is { } saved && saved != fileHash)
            {
                throw Contradicts(fileHash, saved);
            }

            if (lease.ExpectedSha256 is null)
            {
                await lease.SaveExpectedAsync(fileHash, ct);
            }
        }

        // From here on the request's own cancellation is not followed: when the client goes away, the bytes it sent
        // before are still read (the read fails only after them) and kept; only losing the upload to another request stops it.
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(lease.Lost);
        try
        {
            await artifacts.DemandWritableAsync(actor, info.Model, info.Number, cancel.Token);
        }
        catch (VersionFrozenException)
        {
            // It can never be committed now.
            await DropAsync(row.Id, lease.StoreState, completed: false, null, row.Length);
            lease.Forget();
            throw;
        }

        var hasher = ResumableSha256.Import(lease.HashState);
        await using var writer = await staging.OpenAsync(row.Id, row.Length, offset, lease.StoreState, cancel.Token);
        // Reading the next chunk of the body overlaps with hashing and writing the current one, as a PUT's staging does.
        var current = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkBytes);
        var next = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkBytes);
        Task<(int Read, ExceptionDispatchInfo? Failure)>? reading = null;
        var checkpoint = Task.CompletedTask; // one taken in the background, when the writer allows it
        try
        {
            try
            {
                var received = writer.Offset;
                var (n, broken) = await FillAsync(body, current, Want(row.Length, received), cancel.Token);
                while (n > 0)
                {
                    received += n;
                    reading = broken is null && received < row.Length ? FillAsync(body, next, Want(row.Length, received), cancel.Token) : null;
                    for (var at = 0; at < n;)
                    {
                        // A chunk never crosses the writer's room (an S3 part's end), so a checkpoint can fall exactly there.
                        var chunk = current.AsMemory(at, Math.Min(n - at, writer.Room));
                        var writing = writer.WriteAsync(chunk, cancel.Token);
                        hasher.Append(chunk.Span);
                        hashes?.AppendData(chunk.Span);
                        await writing;
                        at += chunk.Length;
                        if (hashes is null && writer.CheckpointDue)
                        {
                            if (!writer.CheckpointsWhileWriting)
                            {
                                await lease.SaveAsync(writer, hasher, await writer.CheckpointAsync(cancel.Token), cancel.Token);
                            }
                            else if (checkpoint.IsCompleted)
                            {
                                await checkpoint; // a failed one (the lease lost) ends the request
                                checkpoint = CheckpointInBackground(lease, writer, hasher, cancel.Token);
                            }
                        }
                    }

                    // What arrived before the connection broke is written; now the failure may go on.
                    broken?.Throw();
                    if (reading is null)
                    {
                        break;
                    }

                    (n, broken) = await reading;
                    reading = null;
                    (current, next) = (next, current);
                }

                if (writer.Offset == row.Length && !await IsEmptyAsync(body, cancel.Token))
                {
                    throw ValidationFailedException.For("Upload-Length", $"The body goes on past the upload's length of {row.Length} bytes.");
                }
            }
            catch (Exception e) when (hashes is null && e is not RegistryException)
            {
                // The connection broke (or the client gave up): keep what arrived, as tus asks, before passing the failure on.
                await SettleQuietlyAsync(checkpoint);
                await SalvageAsync(lease, writer, hasher, e);
                throw;
            }

            await checkpoint;

            if (hashes is not null && !CryptographicOperations.FixedTimeEquals(hashes.GetHashAndReset(), checksum!.Digest))
            {
                throw new ChunkChecksumMismatchException(checksum.Algorithm);
            }

            if (writer.Offset < row.Length)
            {
                if (writer.Offset > lease.Offset)
                {
                    await lease.SaveAsync(writer, hasher, await writer.CheckpointAsync(cancel.Token), cancel.Token);
                }

                return new AppendResult(info with { Offset = lease.Offset, ExpiresAt = lease.ExpiresAt }, null);
            }

            var committed = await CommitAsync(actor, row, info, lease, writer, hasher.HashHex(), lease.ExpectedSha256, cancel.Token);
            return new AppendResult(info with { Offset = row.Length, Sha256 = committed.Artifact.Sha256 }, committed);
        }
        finally
        {
            // Never leaves a read into a pooled buffer, or a checkpoint on a writer about to be disposed, running.
            await SettleQuietlyAsync(reading ?? Task.CompletedTask);
            await SettleQuietlyAsync(checkpoint);
            System.Buffers.ArrayPool<byte>.Shared.Return(current);
            System.Buffers.ArrayPool<byte>.Shared.Return(next);
            hashes?.Dispose();
        }
    }

    /// <summary>
    /// A checkpoint of the bytes written so far, taken while the request goes on writing (the store flushes, then the row
    /// saves this offset and the hash state at it): the disk works while the network delivers.
    /// </summary>
    private static Task CheckpointInBackground(Lease lease, ResumableWriter writer, ResumableSha256 hasher, CancellationToken ct)
    {
        var offset = writer.Offset;
        var hashState = hasher.Export();
        return Task.Run(async () => await lease.SaveAsync(offset, hashState, await writer.CheckpointAsync(ct), writer, ct), CancellationToken.None);
    }

    /// <summary>Waits for a background step without its failure: that one matters only where it is awaited plainly.</summary>
    private static async Task SettleQuietlyAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // A failed checkpoint is saved again by SalvageAsync or the next request; a failed read ended the request already.
        }
    }

    private static int Want(long length, long received) => (int)Math.Min(ChunkBytes, length - received);

    /// <summary>Ends the actor's upload and removes its bytes (tus termination); 404 when there is none of theirs.</summary>
    public async Task TerminateAsync(Actor actor, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (row, _) = await FindAsync(db, actor, id, ct);
        await using var lease = await Lease.TakeAsync(this, actor, row, ct);
        await DropAsync(row.Id, lease.StoreState, row.IsCompleted, row.Sha256, row.Length);
        lease.Forget();
    }

    /// <summary>
    /// Removes uploads that expired (their bytes and their row) and staged bytes no upload accounts for. The background
    /// sweeper calls it every <see cref="SweepInterval"/>. Returns how many uploads it removed.
    /// </summary>
    public async Task<int> SweepExpiredAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        List<ResumableUpload> expired;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            expired = await db.Uploads.AsNoTracking()
                .Where(u => u.ExpiresAt < now && (u.LeaseToken == null || u.LeaseExpiresAt < now))
                .ToListAsync(ct);
        }

        var removed = 0;
        foreach (var row in expired)
        {
            if (row.Store != staging.Kind)
            {
                logger.StagedInUnconfiguredStore(row.Id, row.Store);
                await DeleteRowAsync(row.Id, ct);
                removed++;
                continue;
            }

            try
            {
                await DropAsync(row.Id, row.StoreState, row.IsCompleted, row.Sha256, row.Length);
                removed++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.ExpiredNotRemoved(e, row.Id);
            }
        }

        await foreach (var (id, lastWritten) in staging.EnumerateAsync(ct))
        {
            if (lastWritten >= now - OrphanGrace)
            {
                continue;
            }

            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (!await db.Uploads.AnyAsync(u => u.Id == id, ct))
            {
                await staging.DeleteAsync(id, "", ct);
                logger.OrphanBytesRemoved(id);
            }
        }

        if (removed > 0)
        {
            logger.ExpiredRemoved(removed);
        }

        return removed;
    }

    /// <summary>
    /// Start-up: on SQLite (one instance) no request can be writing any more, so leases left by a killed process go at
    /// once instead of lapsing; an upload committed just before a crash gets its bytes moved into place.
    /// </summary>
    public async Task RecoverAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (options.Value.Database == DatabaseProvider.Sqlite)
        {
            await db.InTransactionAsync(() => db.Uploads.Where(u => u.LeaseToken != null)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.LeaseToken, (string?)null).SetProperty(u => u.LeaseExpiresAt, (DateTimeOffset?)null), ct), ct);
        }

        var completed = await db.Uploads.AsNoTracking().Where(u => u.CompletedAt != null && u.Store == staging.Kind)
            .Select(u => new { u.Id, u.StoreState, u.Sha256, u.Length }).ToListAsync(ct);
        foreach (var u in completed)
        {
            await staging.FinishCommittedAsync(u.Id, u.StoreState, u.Sha256!, u.Length, ct);
        }
    }

    private async Task<UploadResult> CommitAsync(Actor actor, ResumableUpload row, ResumableUploadInfo info, Lease lease,
        ResumableWriter writer, string sha256, string? expectedSha256, CancellationToken ct)
    {
        StagedBlob staged;
        try
        {
            staged = await writer.CompleteAsync(sha256, state => lease.SaveStoreStateAsync(state, ct), ct);
        }
        catch (UploadConflictException e) when (e.Code == UploadConflictException.BytesDiffer)
        {
            await DropAsync(row.Id, lease.StoreState, completed: false, null, row.Length);
            lease.Forget();
            throw;
        }

        UploadResult result;
        await using (staged)
        {
            try
            {
                result = await artifacts.CommitAsync(actor, info.Model, info.Number, row.Path, staged, expectedSha256, async change =>
                {
                    // In the file's transaction: the upload is complete exactly when the file is committed.
                    var upload = await change.Db.Uploads.SingleOrDefaultAsync(u => u.Id == row.Id && u.LeaseToken == lease.Token, ct)
                        ?? throw new UploadConflictException("Another request took over this upload.", UploadConflictException.Busy);
                    upload.Complete(sha256, change.Now);
                }, ct);
            }
            catch (Exception e) when (IsFinal(e))
            {
                // It can never be committed (wrong checksum, frozen version, no permission …): the bytes go.
                await DropAsync(row.Id, lease.StoreState, completed: false, null, row.Length);
                lease.Forget();
                throw;
            }
        }

        lease.Forget(); // Completing the row released it.
        try
        {
            await staging.FinishCommittedAsync(row.Id, lease.StoreState, sha256, row.Length, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.StagingNotRemovedAfterCommit(e, row.Id);
        }

        return result;
    }

    /// <summary>A refusal that no retry changes. Anything else (store or database unavailable, a lost race) keeps the bytes for the retry.</summary>
    private static bool IsFinal(Exception e) => e is ChecksumMismatchException or VersionFrozenException or ForbiddenException
        or NotFoundException or ValidationFailedException or PayloadTooLargeException;

    /// <summary>After a broken connection: a checkpoint of what arrived. Never hides the original failure.</summary>
    private async Task SalvageAsync(Lease lease, ResumableWriter writer, ResumableSha256 hasher, Exception cause)
    {
        if (writer.Offset <= lease.Offset || lease.Lost.IsCancellationRequested)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await lease.SaveAsync(writer, hasher, await writer.CheckpointAsync(timeout.Token), timeout.Token);
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.RequestEndedEarly(lease.Id, cause.GetType().Name, lease.Offset);
            }
        }
        catch (Exception e)
        {
            logger.EarlyEndNotKept(e, lease.Id);
        }
    }

    private async Task<(ResumableUpload Row, ResumableUploadInfo Info)> FindAsync(RegistryDbContext db, Actor actor, string id,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var found = ResumableUploadIds.IsValid(id)
            ? await (from upload in db.Uploads.AsNoTracking()
                     join v in db.Versions on upload.VersionId equals v.Id
                     where upload.Id == id && upload.CreatedByUserId == actor.UserId
                     select new { Upload = upload, v.Number, Model = v.Model.Name }).SingleOrDefaultAsync(ct)
            : null;
        // Another user's upload, an expired one, or one another store began: none exists for this caller.
        if (found is null || found.Upload.ExpiresAt <= now || found.Upload.Store != staging.Kind)
        {
            throw new NotFoundException("No such upload: it never existed, expired, or belongs to someone else.");
        }

        var u = found.Upload;
        return (u, new ResumableUploadInfo(u.Id, found.Model, found.Number, u.Path, u.Length, u.Offset, u.ExpiresAt, u.Metadata, u.Sha256));
    }

    /// <summary>Removes an upload's staged bytes (or, once committed, what is left of them) and its row.</summary>
    private async Task DropAsync(string id, string storeState, bool completed, string? sha256, long length)
    {
        if (completed)
        {
            await staging.FinishCommittedAsync(id, storeState, sha256!, length, CancellationToken.None);
        }
        else
        {
            await staging.DeleteAsync(id, storeState, CancellationToken.None);
        }

        await DeleteRowAsync(id, CancellationToken.None);
    }

    private async Task DeleteRowAsync(string id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.InTransactionAsync(() => db.Uploads.Where(u => u.Id == id).ExecuteDeleteAsync(ct), ct);
    }

    private async Task DiscardQuietlyAsync(string id, string state)
    {
        try
        {
            await staging.DeleteAsync(id, state, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.StagingNotRemoved(e, id);
        }
    }

    private static ValidationFailedException Contradicts(string declared, string saved) => ValidationFailedException.For(FileChecksumField,
        $"{FileChecksumField} {declared} contradicts the SHA-256 this upload already expects ({saved}); a file's hash cannot change " +
        "during its upload: delete the upload and start a new one.");

    private static UploadConflictException OffsetMismatch(long sent, long actual) => new(
        $"Upload-Offset is {sent} but the upload stands at {actual}; continue from there (HEAD tells the offset).",
        UploadConflictException.OffsetMismatch);

    private static IncrementalHash ChunkHash(string algorithm) => algorithm switch
    {
        "sha1" => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
        "sha256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        _ => throw ValidationFailedException.For("Upload-Checksum",
            $"Upload-Checksum algorithm '{algorithm}' is not supported; use one of {string.Join(", ", ChecksumAlgorithms)}."),
    };

    /// <summary>Reads up to <paramref name="count"/> bytes; a failure midway comes back with the bytes read before it.</summary>
    private static async Task<(int Read, ExceptionDispatchInfo? Failure)> FillAsync(Stream source, byte[] buffer, int count, CancellationToken ct)
    {
        var filled = 0;
        try
        {
            while (filled < count)
            {
                var read = await source.ReadAsync(buffer.AsMemory(filled, count - filled), ct);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }
        }
        catch (Exception e) when (filled > 0)
        {
            return (filled, ExceptionDispatchInfo.Capture(e));
        }

        return (filled, null);
    }

    private static async Task<bool> IsEmptyAsync(Stream body, CancellationToken ct)
    {
        var probe = new byte[1];
        return await body.ReadAsync(probe, ct) == 0;
    }

    /// <summary>
    /// One request's hold on an upload: taken with a conditional update (free, or lapsed), renewed in the background
    /// while the request runs, and released on dispose. Every save is conditional on still holding it, so a request
    /// that lost it (stalled past <see cref="LeaseTime"/> while another took over) can never overwrite the other's state.
    /// </summary>
    private sealed class Lease : IAsyncDisposable
    {
        private readonly ResumableUploadService _service;
        private readonly CancellationTokenSource _lost = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _renewing = Task.CompletedTask;
        private bool _held = true;

        private Lease(ResumableUploadService service, string id, string token, ResumableUpload row)
        {
            _service = service;
            Id = id;
            Token = token;
            Offset = row.Offset;
            HashState = row.HashState;
            StoreState = row.StoreState;
            ExpiresAt = row.ExpiresAt;
            ExpectedSha256 = row.ExpectedSha256;
        }

        public string Id { get; }
        public string Token { get; }

        /// <summary>The saved offset, hash state and store state: what the next checkpoint replaces.</summary>
        public long Offset { get; private set; }

        public byte[] HashState { get; private set; }
        public string StoreState { get; private set; }
        public DateTimeOffset ExpiresAt { get; private set; }

        /// <summary>The whole file's SHA-256 the commit checks: declared at creation or by a PATCH.</summary>
        public string? ExpectedSha256 { get; private set; }

        /// <summary>Cancelled when another request took the upload over.</summary>
        public CancellationToken Lost => _lost.Token;

        public static async Task<Lease> TakeAsync(ResumableUploadService service, Actor actor, ResumableUpload found, CancellationToken ct)
        {
            var token = ResumableUploadIds.New();
            var now = service.Clock.GetUtcNow();
            await using var db = await service.DbFactory.CreateDbContextAsync(ct);
            var taken = await db.InTransactionAsync(() => db.Uploads
                .Where(u => u.Id == found.Id && u.CreatedByUserId == actor.UserId && (u.LeaseToken == null || u.LeaseExpiresAt < now))
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.LeaseToken, token).SetProperty(u => u.LeaseExpiresAt, now + LeaseTime), ct), ct);
            if (taken == 0)
            {
                throw new UploadConflictException("Another request is writing to this upload; try again once it has finished.",
                    UploadConflictException.Busy);
            }

            var row = await db.Uploads.AsNoTracking().SingleAsync(u => u.Id == found.Id, ct);
            var lease = new Lease(service, found.Id, token, row);
            lease._renewing = lease.RenewAsync();
            return lease;
        }

        /// <summary>Saves a checkpoint: the writer's offset, the hash state at it, the store's state; the deadline moves on.</summary>
        public async Task SaveAsync(ResumableWriter writer, ResumableSha256 hasher, string storeState, CancellationToken ct)
        {
            if (hasher.Length != writer.Offset)
            {
                throw new InvalidOperationException($"Hashed {hasher.Length} bytes but wrote {writer.Offset}.");
            }

            await SaveAsync(writer.Offset, hasher.Export(), storeState, writer, ct);
        }

        /// <summary>Saves a checkpoint taken at <paramref name="offset"/> (with the hash state there) while the writer went on.</summary>
        public async Task SaveAsync(long offset, byte[] hashState, string storeState, ResumableWriter writer, CancellationToken ct)
        {
            await UpdateAsync(offset, hashState, storeState, ct);
            await writer.CheckpointSavedAsync();
        }

        /// <summary>Saves a new store state at the same offset (S3 remembers it began assembling).</summary>
        public Task SaveStoreStateAsync(string storeState, CancellationToken ct) => UpdateAsync(Offset, HashState, storeState, ct);

        /// <summary>Saves the file's expected SHA-256 (only while none is saved: a declared hash never changes).</summary>
        public async Task SaveExpectedAsync(string sha256, CancellationToken ct)
        {
            await using var db = await _service.DbFactory.CreateDbContextAsync(ct);
            var saved = await db.InTransactionAsync(() => db.Uploads
                .Where(u => u.Id == Id && u.LeaseToken == Token && u.ExpectedSha256 == null)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.ExpectedSha256, sha256), ct), ct);
            if (saved == 0)
            {
                await _lost.CancelAsync();
                throw new UploadConflictException("Another request took over this upload.", UploadConflictException.Busy);
            }

            ExpectedSha256 = sha256;
        }

        /// <summary>The row no longer holds the lease (completed or deleted): nothing to release.</summary>
        public void Forget() => _held = false;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _renewing;
            if (_held)
            {
                try
                {
                    await using var db = await _service.DbFactory.CreateDbContextAsync();
                    await db.InTransactionAsync(() => db.Uploads.Where(u => u.Id == Id && u.LeaseToken == Token)
                        .ExecuteUpdateAsync(s => s.SetProperty(u => u.LeaseToken, (string?)null)
                            .SetProperty(u => u.LeaseExpiresAt, (DateTimeOffset?)null), CancellationToken.None), CancellationToken.None);
                }
                catch (Exception e)
                {
                    // It lapses by itself within LeaseTime.
                    _service.Log.LeaseNotReleased(e, Id);
                }
            }

            _lost.Dispose();
            _stop.Dispose();
        }

        private async Task UpdateAsync(long offset, byte[] hash, string storeState, CancellationToken ct)
        {
            var now = _service.Clock.GetUtcNow();
            var expires = now + _service.Expiry;
            await using var db = await _service.DbFactory.CreateDbContextAsync(ct);
            var saved = await db.InTransactionAsync(() => db.Uploads.Where(u => u.Id == Id && u.LeaseToken == Token)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(u => u.Offset, offset)
                    .SetProperty(u => u.HashState, hash)
                    .SetProperty(u => u.StoreState, storeState)
                    .SetProperty(u => u.UpdatedAt, now)
                    .SetProperty(u => u.ExpiresAt, expires)
                    .SetProperty(u => u.LeaseExpiresAt, now + LeaseTime), ct), ct);
            if (saved == 0)
            {
                await _lost.CancelAsync();
                throw new UploadConflictException("Another request took over this upload.", UploadConflictException.Busy);
            }

            (Offset, HashState, StoreState, ExpiresAt) = (offset, hash, storeState, expires);
        }

        private async Task RenewAsync()
        {
            try
            {
                while (true)
                {
                    await Task.Delay(LeaseTime / 3, _service.Clock, _stop.Token);
                    var now = _service.Clock.GetUtcNow();
                    await using var db = await _service.DbFactory.CreateDbContextAsync(_stop.Token);
                    var renewed = await db.InTransactionAsync(() => db.Uploads.Where(u => u.Id == Id && u.LeaseToken == Token)
                        .ExecuteUpdateAsync(s => s.SetProperty(u => u.LeaseExpiresAt, now + LeaseTime), _stop.Token), _stop.Token);
                    if (renewed == 0)
                    {
                        await _lost.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // The request is over.
            }
            catch (Exception e)
            {
                // The database is unavailable for a moment: the next save will tell whether the lease still holds.
                _service.Log.LeaseNotRenewed(e, Id);
            }
        }
    }
}
