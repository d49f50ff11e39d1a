using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using ModelRegistry.Client.Api;

namespace ModelRegistry.Client.Commands;

/// <summary>
/// <c>mreg push DIR --model NAME [--source S] [--parent N] [--parallel 4]</c>: a new version with every file under DIR.
/// Every file's SHA-256 reaches the server with its bytes, so the server refuses anything that changed on the way.
/// Small files are hashed first and go by one <c>PUT</c>. A large file is read once (docs/decisions/0027): hashed while
/// it is sent through the tus endpoints, its last piece sent by a final <c>PATCH</c> that carries the whole file's
/// <c>X-Checksum-Sha256</c>; it is hashed first only when its hash is known (<see cref="HashCache"/>) or a stored file
/// of the model has its size — then, if the model already stores it, it is not sent again (the server commits it from
/// its stored bytes: <c>PUT … X-Registry-Reuse-Sha256</c>). A file that changed during the push is not committed:
/// its upload is deleted and the push exits 4. An interrupted push leaves <see cref="PushState"/> behind, and the rerun
/// continues the same version: files already there are skipped, and a large file resumes at the offset the server
/// reports (<c>HEAD</c>), after hashing the bytes before it again.
/// </summary>
internal static class PushCommand
{
    /// <summary>Files from this size on go through the resumable (tus) endpoints; smaller ones by one PUT.</summary>
    public const long ResumableFrom = 8L << 20;

    public const string ReuseHeader = "X-Registry-Reuse-Sha256";
    public const string ChecksumHeader = "X-Checksum-Sha256";
    public const string TusVersion = "1.0.0";

    private const int ConnectionRetries = 4;

    public static Command Create(MregEnvironment env, Option<bool> json)
    {
        var dir = new Argument<string>("DIR") { Description = "The directory whose files (all of them, nested ones too) make the version" };
        var model = new Option<string>("--model") { Description = "The model (created when it does not exist yet)", Required = true };
        var source = new Option<string?>("--source") { Description = "Where the version comes from: a training run, a commit, a URL" };
        var parent = new Option<int?>("--parent") { Description = "The version this one derives from" };
        var parallel = Mreg.ParallelOption();
        var command = new Command("push", "Uploads a directory as a new version; prints its number and digest") { dir, model, source, parent, parallel };
        command.SetAction((result, ct) => Mreg.RunActionAsync(env, result.GetValue(json), results => RunAsync(env, results,
            result.GetValue(dir)!, result.GetValue(model)!, result.GetValue(source), result.GetValue(parent), result.GetValue(parallel), ct)));
        return command;
    }

    private enum Transfer
    {
        Present,
        Reused,
        Sent,
        Resumed,
    }

    /// <summary>How the file's SHA-256 was learnt: known from an earlier run, read before sending, or while sending.</summary>
    private enum Hashing
    {
        Known,
        Before,
        WhileSending,
    }

    private sealed record Pushed(string Path, long Size, string Sha256, Transfer Transfer, Hashing Hashed);

    private static async Task<int> RunAsync(MregEnvironment env, Results results, string dir, string model, string? source, int? parent,
        int parallel, CancellationToken ct)
    {
        Mreg.RequireParallel(parallel);
        var root = Path.GetFullPath(dir);
        var files = LocalFiles.List(root);
        if (files.Count == 0)
        {
            throw new MregException(ExitCodes.Usage, $"'{dir}' has no files to push.");
        }

        var settings = ClientSettings.Load(env);
        using var connection = RegistryConnection.Open(env, settings);
        var state = PushState.Load(env, settings.Url, model, root);
        var cache = HashCache.Load(env);
        var bytesSent = new long[1];

        var (number, resumed, pushed) = await ProgressView.RunAsync(env, async view =>
        {
            var hashes = files.Select(f => state.KnownSha256(f) ?? cache.Get(f)).ToArray();
            var hashing = hashes.Select(h => h is null ? Hashing.WhileSending : Hashing.Known).ToArray();
            // Sizes of the files the model's latest version stores, asked before this push makes a version of its own.
            var storedSizes = await StoredSizesAsync(connection, model, ct);
            var (number, resumed, present) = await VersionToFillAsync(connection, state, model, source, parent, files, ct);
            // Hashed before sending: small files (one PUT declares the hash up front) and large files that may be stored
            // already (a stored file has their size), so that the server can be asked to reuse them. The rest are read once.
            var first = Enumerable.Range(0, files.Count).Where(i => hashes[i] is null && (files[i].Size < ResumableFrom
                || storedSizes.Contains(files[i].Size) || present.TryGetValue(files[i].Path, out var p) && p.Size == files[i].Size)).ToList();
            await HashAllAsync(files, first, hashes, state, view, parallel, ct);
            foreach (var i in first)
            {
                hashing[i] = Hashing.Before;
            }

            var pushed = new Pushed?[files.Count];
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
                    async (i, token) =>
                    {
                        var file = files[i];
                        var sha = hashes[i];
                        if (sha is not null && present.TryGetValue(file.Path, out var stored) && stored.Sha256 == sha)
                        {
                            cache.Set(file, sha);
                            pushed[i] = new Pushed(file.Path, file.Size, sha, Transfer.Present, hashing[i]);
                            return;
                        }

                        var item = view.Add(file.Path, file.Size);
                        var counted = new CountingItem(item, bytesSent);
                        Transfer transfer;
                        if (sha is not null && await TryReuseAsync(connection, model, number, file, sha, token))
                        {
                            transfer = Transfer.Reused;
                        }
                        else if (sha is not null && file.Size < ResumableFrom)
                        {
                            await PutAsync(connection, model, number, file, sha, counted, token);
                            transfer = Transfer.Sent;
                        }
                        else
                        {
                            (transfer, sha) = await SendResumableAsync(connection, state, model, number, file, sha, counted, token);
                        }

                        state.SetSha256(file, sha);
                        cache.Set(file, sha);
                        item.Done(transfer switch { Transfer.Reused => "already stored, not sent", Transfer.Resumed => "resumed", _ => "sent" });
                        pushed[i] = new Pushed(file.Path, file.Size, sha, transfer, hashing[i]);
                    });
            }
            finally
            {
                cache.Save();
            }

            return (number, resumed, pushed.Select(p => p!).ToList());
        });

        var version = await connection.Api.GetVersionAsync(model, number.ToString(CultureInfo.InvariantCulture), ct);
        state.Delete();
        await results.WriteAsync(new PushOutput(model, number, version.Digest, version.Commit, resumed, bytesSent[0],
            [.. pushed.Select(p => new PushedFile(p.Path, p.Size, p.Sha256, p.Transfer.ToString().ToLowerInvariant(),
                p.Hashed switch { Hashing.Known => "known", Hashing.Before => "before sending", _ => "while sending" }))]), () => [$"{number} {version.Digest}"]);
        return ExitCodes.Ok;
    }

    /// <summary>The SHA-256 of the files <paramref name="todo"/> (by index), read from disk in parallel.</summary>
    private static async Task HashAllAsync(IReadOnlyList<LocalFile> files, List<int> todo, string?[] hashes, PushState state, ProgressView view,
        int parallel, CancellationToken ct)
    {
        if (todo.Count == 0)
        {
            return;
        }

        var item = view.Add($"hashing {todo.Count} file(s)", todo.Sum(i => files[i].Size));
        try
        {
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (i, token) =>
            {
                hashes[i] = await LocalFiles.Sha256Async(files[i].FullPath, item, token);
                state.SetSha256(files[i], hashes[i]!);
            });
        }
        finally
        {
            state.Save();
        }

        item.Done("hashed");
    }

    /// <summary>The sizes of the files in the model's latest version (none when the model or its versions are not there yet).</summary>
    private static async Task<HashSet<long>> StoredSizesAsync(RegistryConnection connection, string model, CancellationToken ct)
    {
        try
        {
            var stored = await connection.Api.ListFilesAsync(model, "latest", ct);
            return stored.Select(f => f.Size).ToHashSet();
        }
        catch (RegistryApiException e) when (e.StatusCode == 404)
        {
            return [];
        }
    }

    /// <summary>
    /// The version this push fills: the one an interrupted push of the same directory left (when it still takes files
    /// and holds nothing the directory lacks), else a new one — with the model created first if it does not exist.
    /// Returns what the version already holds (by path).
    /// </summary>
    private static async Task<(int Number, bool Resumed, Dictionary<string, ArtifactInfo> Present)> VersionToFillAsync(RegistryConnection connection,
        PushState state, string model, string? source, int? parent, IReadOnlyList<LocalFile> files, CancellationToken ct)
    {
        if (state.Version is { } earlier)
        {
            try
            {
                var version = await connection.Api.GetVersionAsync(model, earlier.ToString(CultureInfo.InvariantCulture), ct);
                var stored = await connection.Api.ListFilesAsync(model, earlier.ToString(CultureInfo.InvariantCulture), ct);
                var paths = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
                if (version.FrozenAt is null && stored.All(f => paths.Contains(f.Path)))
                {
                    return (earlier, true, stored.ToDictionary(f => f.Path, StringComparer.Ordinal));
                }
            }
            catch (RegistryApiException e) when (e.StatusCode == 404)
            {
                // Gone (deleted): start a new version.
            }
        }

        var input = new VersionInput { Source = source, ParentVersion = parent };
        VersionInfo created;
        try
        {
            created = await connection.Api.CreateVersionAsync(model, input, ct);
        }
        catch (RegistryApiException e) when (e.StatusCode == 404)
        {
            // Only the model can be unknown here: a first push creates it.
            await connection.Api.CreateModelAsync(new CreateModel { Name = model }, ct);
            created = await connection.Api.CreateVersionAsync(model, input, ct);
        }

        state.SetVersion(created.Number);
        return (created.Number, false, new Dictionary<string, ArtifactInfo>(StringComparer.Ordinal));
    }

    private static Uri FileUri(RegistryConnection connection, string model, int number, string path) =>
        connection.Route($"{RegistryConnection.ModelRoute(model)}/versions/{number}/files/{RegistryConnection.FileRoute(path)}");

    /// <summary>Asks the server to store the file from bytes the model already has; false when it has none (send them).</summary>
    private static async Task<bool> TryReuseAsync(RegistryConnection connection, string model, int number, LocalFile file, string sha,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, FileUri(connection, model, number, file.Path))
        {
            Content = new ByteArrayContent([]),
        };
        request.Headers.Add(ReuseHeader, sha);
        using var response = await connection.Http.SendAsync(request, ct);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        var failure = await RegistryConnection.FailureAsync(response, $"storing '{file.Path}'", ct);
        if (failure.Problem is { Status: 404, Code: "blob_not_stored" })
        {
            return false;
        }

        throw failure;
    }

    /// <summary>One PUT with the file streamed from disk and its SHA-256 declared.</summary>
    private static async Task PutAsync(RegistryConnection connection, string model, int number, LocalFile file, string sha,
        IProgressItem item, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            item.Reset(0);
            using var request = new HttpRequestMessage(HttpMethod.Put, FileUri(connection, model, number, file.Path))
            {
                Content = FileContent(file, 0, item),
            };
            request.Headers.Add(ChecksumHeader, sha);
            request.Headers.ExpectContinue = true;
            try
            {
                using var response = await connection.Http.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode)
                {
                    throw await RegistryConnection.FailureAsync(response, $"uploading '{file.Path}'", ct);
                }

                return;
            }
            catch (Exception e) when (RegistryConnection.IsConnectionFailure(e) && attempt < ConnectionRetries && !ct.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt), ct);
            }
        }
    }

    /// <summary>
    /// A large file through tus: a new upload (its URL saved in the state at once) or the one an earlier run left, asked
    /// for its offset; then the rest of the file, continued at the server's offset after a broken connection. With
    /// <paramref name="sha"/> unknown the file is hashed as it is sent (after hashing again the bytes the server already
    /// has), all but its last piece in one PATCH and the last piece in a final PATCH that carries the whole file's
    /// <c>X-Checksum-Sha256</c>. Returns how the file went and its SHA-256.
    /// </summary>
    private static async Task<(Transfer Transfer, string Sha256)> SendResumableAsync(RegistryConnection connection, PushState state, string model,
        int number, LocalFile file, string? sha, IProgressItem item, CancellationToken ct)
    {
        var resumed = false;
        for (var attempt = 0; ; attempt++)
        {
            string? url = null;
            try
            {
                url = state.UploadUrl(file);
                long offset = 0;
                if (url is not null)
                {
                    var kept = await OffsetAsync(connection, url, file, ct);
                    if (kept is null)
                    {
                        state.SetUploadUrl(file, null);
                        url = null;
                    }
                    else if (kept.Value.Committed is { } committed)
                    {
                        // The last answer was lost, but the file is stored: the final PATCH carried its hash.
                        state.SetUploadUrl(file, null);
                        return (Transfer.Resumed, committed);
                    }
                    else
                    {
                        offset = kept.Value.Offset;
                        resumed |= offset > 0;
                    }
                }

                if (url is null)
                {
                    url = await CreateUploadAsync(connection, model, number, file, sha, ct);
                    state.SetUploadUrl(file, url);
                }

                string digest;
                if (sha is not null)
                {
                    item.Reset(offset);
                    while (offset < file.Size)
                    {
                        resumed |= offset > 0;
                        offset = await PatchAsync(connection, url, file, offset, from => FileContent(file, from, item), null, item, ct);
                    }

                    digest = sha;
                }
                else
                {
                    digest = await SendHashingAsync(connection, url, file, offset, item, ct);
                }

                state.SetUploadUrl(file, null);
                return (resumed ? Transfer.Resumed : Transfer.Sent, digest);
            }
            catch (Exception e) when (ChangedIn(e) is { } changed)
            {
                if (url is not null)
                {
                    await DeleteUploadQuietlyAsync(connection, url);
                    state.SetUploadUrl(file, null);
                }

                throw new MregException(ExitCodes.VerificationFailed, $"'{file.Path}' changed while it was being pushed ({changed.Message}): " +
                    "its upload was deleted and nothing of it was stored. Push again once the file is complete.", changed.Problem);
            }
            catch (OffsetMovedException) when (attempt < ConnectionRetries)
            {
                // The server stands elsewhere than the bytes hashed so far: ask it again and hash up to there.
                resumed = true;
            }
            catch (OffsetMovedException)
            {
                throw new MregException(ExitCodes.Unreachable, $"The upload of '{file.Path}' kept moving under this push (another mreg pushing the same directory?).");
            }
            catch (Exception e) when (RegistryConnection.IsConnectionFailure(e) && attempt < ConnectionRetries && !ct.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt), ct);
            }
        }
    }

    /// <summary>
    /// The single pass: hashes the bytes before <paramref name="offset"/> again (they are on the server already), sends
    /// the file up to its last piece while hashing it, then the last piece with the whole file's hash. Before that final
    /// PATCH the file must still have the size and modification time it was listed with; the server checks the hash.
    /// </summary>
    private static async Task<string> SendHashingAsync(RegistryConnection connection, string url, LocalFile file, long offset, IProgressItem item,
        CancellationToken ct)
    {
        using var pass = new SinglePassHash();
        if (offset > 0)
        {
            await using var prefix = LocalFiles.OpenRead(file.FullPath);
            if (await LocalFiles.HashIntoAsync(prefix, pass.Hash, offset, null, ct) != offset)
            {
                throw new FileChangedException("it is shorter than the bytes already sent");
            }

            pass.Consumed = offset;
        }

        item.Reset(offset);
        var tailFrom = Math.Max(offset, file.Size - LocalFiles.BufferSize);
        if (offset < tailFrom)
        {
            var reached = await PatchAsync(connection, url, file, offset, from => from == pass.Consumed
                ? HashingContent(file, from, tailFrom - from, pass, item)
                : throw new OffsetMovedException(), null, item, ct);
            await pass.SettleAsync();
            if (reached != tailFrom || pass.Consumed != tailFrom)
            {
                throw new OffsetMovedException();
            }
        }

        var tail = new byte[file.Size - tailFrom];
        await using (var stream = LocalFiles.OpenRead(file.FullPath))
        {
            stream.Seek(tailFrom, SeekOrigin.Begin);
            try
            {
                await stream.ReadExactlyAsync(tail, ct);
            }
            catch (EndOfStreamException)
            {
                throw new FileChangedException("it became shorter");
            }
        }

        pass.Hash.AppendData(tail);
        var digest = Convert.ToHexStringLower(pass.Hash.GetHashAndReset());
        var now = new FileInfo(file.FullPath);
        if (!now.Exists || now.Length != file.Size || now.LastWriteTimeUtc != file.ModifiedUtc)
        {
            throw new FileChangedException("its size or modification time differ from when the push began");
        }

        long end;
        try
        {
            end = await PatchAsync(connection, url, file, tailFrom, from => from == tailFrom
                ? new StreamContent(new ProgressReadStream(new MemoryStream(tail, writable: false), tail.Length, item))
                {
                    Headers = { ContentLength = tail.Length, ContentType = new MediaTypeHeaderValue("application/octet-stream") },
                }
                : throw new OffsetMovedException(), digest, item, ct);
        }
        catch (MregException e) when (e.Problem is { Status: 422 })
        {
            // The server hashed other bytes than this client read: the file changed under the push.
            throw new FileChangedException("the registry computed another SHA-256 than mreg read", e.Problem);
        }

        return end == file.Size ? digest : throw new OffsetMovedException();
    }

    private static async Task<string> CreateUploadAsync(RegistryConnection connection, string model, int number, LocalFile file, string? sha,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, connection.Route($"{RegistryConnection.ModelRoute(model)}/versions/{number}/uploads"))
        {
            Content = new ByteArrayContent([]),
        };
        request.Headers.Add("Tus-Resumable", TusVersion);
        request.Headers.Add("Upload-Length", file.Size.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", $"path {Base64(file.Path)}" + (sha is null ? "" : $",sha256 {Base64(sha)}"));
        using var response = await connection.Http.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Created || response.Headers.Location is null)
        {
            throw await RegistryConnection.FailureAsync(response, $"starting the upload of '{file.Path}'", ct);
        }

        return new Uri(connection.BaseAddress, response.Headers.Location).ToString();
    }

    /// <summary>
    /// The offset the server kept for an upload (and the file's SHA-256 when it is committed already), or null when the
    /// upload is gone (expired, deleted, or of another length).
    /// </summary>
    private static async Task<(long Offset, string? Committed)?> OffsetAsync(RegistryConnection connection, string url, LocalFile file,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, url);
        request.Headers.Add("Tus-Resumable", TusVersion);
        using var response = await connection.Http.SendAsync(request, ct);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await RegistryConnection.FailureAsync(response, $"resuming the upload of '{file.Path}'", ct);
        }

        var length = HeaderLong(response, "Upload-Length");
        if (length != file.Size)
        {
            return null;
        }

        var offset = HeaderLong(response, "Upload-Offset");
        var committed = offset == length && response.Headers.TryGetValues(ChecksumHeader, out var values) ? values.FirstOrDefault() : null;
        return (offset, committed);
    }

    private static async Task DeleteUploadQuietlyAsync(RegistryConnection connection, string url)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, url);
            request.Headers.Add("Tus-Resumable", TusVersion);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var response = await connection.Http.SendAsync(request, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            // Gone already (the server drops an upload whose hash does not match), or it expires by itself.
        }
    }

    /// <summary>
    /// Sends a body made by <paramref name="content"/> from <paramref name="offset"/> (or where the server says it stands)
    /// and returns the offset the server reached. <c>Expect: 100-continue</c> keeps the body back until the server has
    /// accepted the request, so a refusal (409 while an interrupted request still holds the upload) costs no bytes.
    /// <paramref name="fileSha256"/>, when given, goes along as the whole file's <c>X-Checksum-Sha256</c>.
    /// </summary>
    private static async Task<long> PatchAsync(RegistryConnection connection, string url, LocalFile file, long offset,
        Func<long, HttpContent> content, string? fileSha256, IProgressItem item, CancellationToken ct)
    {
        var busySince = DateTimeOffset.UtcNow;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, url) { Content = content(offset) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
            request.Headers.Add("Tus-Resumable", TusVersion);
            request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
            if (fileSha256 is not null)
            {
                request.Headers.Add(ChecksumHeader, fileSha256);
            }

            request.Headers.ExpectContinue = true;
            using var response = await connection.Http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                return HeaderLong(response, "Upload-Offset");
            }

            var failure = await RegistryConnection.FailureAsync(response, $"uploading '{file.Path}'", ct);
            if (failure.Problem is { Status: 409, Code: "upload_busy" } && DateTimeOffset.UtcNow - busySince < TimeSpan.FromSeconds(90))
            {
                // The request of an interrupted run still holds the upload until the server notices it is gone.
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                var kept = await OffsetAsync(connection, url, file, ct) ?? throw failure;
                offset = kept.Offset;
                item.Reset(offset);
                continue;
            }

            if (failure.Problem is { Status: 409 } && await OffsetAsync(connection, url, file, ct) is { } actual && actual.Offset != offset)
            {
                // Not the offset the server kept (a request it finished after we gave up on it): continue at its offset.
                item.Reset(actual.Offset);
                return actual.Offset;
            }

            throw failure;
        }
    }

    /// <summary>Bytes of the file from <paramref name="offset"/>, <paramref name="length"/> of them, hashed as they are read.</summary>
    private static StreamContent HashingContent(LocalFile file, long offset, long length, SinglePassHash pass, IProgressItem item)
    {
        var stream = LocalFiles.OpenRead(file.FullPath);
        stream.Seek(offset, SeekOrigin.Begin);
        var content = new StreamContent(new ProgressReadStream(new HashingReadStream(stream, length, pass), length, item), LocalFiles.BufferSize);
        content.Headers.ContentLength = length;
        return content;
    }

    private static FileChangedException? ChangedIn(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is FileChangedException changed)
            {
                return changed;
            }
        }

        return null;
    }

    private static StreamContent FileContent(LocalFile file, long offset, IProgressItem item)
    {
        var stream = LocalFiles.OpenRead(file.FullPath);
        stream.Seek(offset, SeekOrigin.Begin);
        var content = new StreamContent(new ProgressReadStream(stream, file.Size - offset, item), LocalFiles.BufferSize);
        content.Headers.ContentLength = file.Size - offset;
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static long HeaderLong(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new MregException(ExitCodes.Unreachable, $"The server's tus answer has no valid {name} header.");

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Min(30, 1 << attempt));

    /// <summary>Adds what is sent to the push's byte count as well as to the file's progress.</summary>
    private sealed class CountingItem(IProgressItem inner, long[] total) : IProgressItem
    {
        public void Advance(long bytes)
        {
            Interlocked.Add(ref total[0], bytes);
            inner.Advance(bytes);
        }

        public void Reset(long bytes) => inner.Reset(bytes);

        public void Done(string outcome) => inner.Done(outcome);
    }

    /// <summary>The hash of a single-pass upload: how many bytes were handed to it, and the piece still being hashed.</summary>
    private sealed class SinglePassHash : IDisposable
    {
        public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        /// <summary>Bytes of the file read into the hash (the last of them may still be being hashed: <see cref="SettleAsync"/>).</summary>
        public long Consumed { get; set; }

        public Task Pending { get; set; } = Task.CompletedTask;

        public Task SettleAsync() => Pending;

        public void Dispose()
        {
            try
            {
                Pending.GetAwaiter().GetResult();
            }
            catch (CryptographicException)
            {
                // Disposed anyway.
            }

            Hash.Dispose();
        }
    }

    /// <summary>
    /// Reads the file for an HTTP body and hashes each piece on another thread while the HTTP stack writes it to the
    /// network; the next read waits for that hash, since it reuses the caller's buffer. Fewer bytes than promised mean
    /// the file shrank under the push.
    /// </summary>
    private sealed class HashingReadStream(Stream inner, long length, SinglePassHash pass) : ReadOnlyWrapperStream(inner, length)
    {
        public override int Read(Span<byte> buffer)
        {
            var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
            try
            {
                var read = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
                rented.AsSpan(0, read).CopyTo(buffer);
                return read;
            }
            finally
            {
                // The hash reads the rented buffer until it is done.
                pass.Pending.GetAwaiter().GetResult();
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await pass.Pending;
            if (Consumed == Length)
            {
                return 0;
            }

            var read = await Inner.ReadAsync(buffer[..Limit(buffer.Length)], cancellationToken);
            if (read == 0)
            {
                throw new FileChangedException("it became shorter");
            }

            Consumed += read;
            pass.Consumed += read;
            ReadOnlyMemory<byte> piece = buffer[..read];
            pass.Pending = Task.Run(() => pass.Hash.AppendData(piece.Span), CancellationToken.None);
            return read;
        }
    }

    /// <summary>The file changed while it was being pushed: its upload is deleted and the push exits 4.</summary>
    private sealed class FileChangedException(string message, ProblemInfo? problem = null) : IOException(message)
    {
        public ProblemInfo? Problem { get; } = problem;
    }

    /// <summary>The server's offset is not where the single-pass hash stands: start the file's transfer over from HEAD.</summary>
    private sealed class OffsetMovedException : Exception;
}
