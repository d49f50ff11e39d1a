using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModelRegistry.Client.Api;

namespace ModelRegistry.Client.Commands;

/// <summary>
/// <c>mreg push DIR --model NAME [--source S] [--parent N] [--parallel 4]</c>: a new version with every file under DIR.
/// Each file's SHA-256 is computed from disk first (bounded buffer) and declared with its bytes, so the server refuses
/// anything that changed on the way. A file the model already stores is not sent again (the server commits it from its
/// stored bytes: <c>PUT … X-Registry-Reuse-Sha256</c>); small files go by one <c>PUT</c>, large ones through the tus
/// endpoints. An interrupted push leaves <see cref="PushState"/> behind, and the rerun continues the same version:
/// files already there are skipped, and a large file resumes at the offset the server reports (<c>HEAD</c>).
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

    private sealed record Pushed(string Path, long Size, string Sha256, Transfer Transfer);

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
        var bytesSent = new long[1];

        var (number, resumed, pushed) = await ProgressView.RunAsync(env, async view =>
        {
            var hashes = await HashAllAsync(files, state, view, parallel, ct);
            var (number, resumed, present) = await VersionToFillAsync(connection, state, model, source, parent, files, ct);
            var pushed = new Pushed?[files.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
                async (i, token) =>
                {
                    var file = files[i];
                    var sha = hashes[i];
                    if (present.TryGetValue(file.Path, out var stored) && stored == sha)
                    {
                        pushed[i] = new Pushed(file.Path, file.Size, sha, Transfer.Present);
                        return;
                    }

                    var item = view.Add(file.Path, file.Size);
                    var counted = new CountingItem(item, bytesSent);
                    Transfer transfer;
                    if (await TryReuseAsync(connection, model, number, file, sha, token))
                    {
                        transfer = Transfer.Reused;
                    }
                    else if (file.Size < ResumableFrom)
                    {
                        await PutAsync(connection, model, number, file, sha, counted, token);
                        transfer = Transfer.Sent;
                    }
                    else
                    {
                        transfer = await SendResumableAsync(connection, state, model, number, file, sha, counted, token);
                    }

                    item.Done(transfer switch { Transfer.Reused => "already stored, not sent", Transfer.Resumed => "resumed", _ => "sent" });
                    pushed[i] = new Pushed(file.Path, file.Size, sha, transfer);
                });
            return (number, resumed, pushed.Select(p => p!).ToList());
        });

        var version = await connection.Api.GetVersionAsync(model, number.ToString(CultureInfo.InvariantCulture), ct);
        state.Delete();
        await results.WriteAsync(new
        {
            model,
            version = number,
            digest = version.Digest,
            commit = version.Commit,
            resumed,
            bytesSent = bytesSent[0],
            files = pushed.Select(p => new { path = p.Path, size = p.Size, sha256 = p.Sha256, transfer = p.Transfer.ToString().ToLowerInvariant() }),
        }, () => [$"{number} {version.Digest}"]);
        return ExitCodes.Ok;
    }

    /// <summary>Every file's SHA-256, from the saved state where the file has not changed since, else read from disk.</summary>
    private static async Task<string[]> HashAllAsync(IReadOnlyList<LocalFile> files, PushState state, ProgressView view, int parallel,
        CancellationToken ct)
    {
        var hashes = new string[files.Count];
        var todo = Enumerable.Range(0, files.Count).Where(i => (hashes[i] = state.KnownSha256(files[i])!) is null).ToList();
        if (todo.Count == 0)
        {
            return hashes;
        }

        var item = view.Add($"hashing {todo.Count} file(s)", todo.Sum(i => files[i].Size));
        try
        {
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (i, token) =>
            {
                hashes[i] = await LocalFiles.Sha256Async(files[i].FullPath, item, token);
                state.SetSha256(files[i], hashes[i]);
            });
        }
        finally
        {
            state.Save();
        }

        item.Done("hashed");
        return hashes;
    }

    /// <summary>
    /// The version this push fills: the one an interrupted push of the same directory left (when it still takes files
    /// and holds nothing the directory lacks), else a new one — with the model created first if it does not exist.
    /// Returns what the version already holds (path → SHA-256).
    /// </summary>
    private static async Task<(int Number, bool Resumed, Dictionary<string, string> Present)> VersionToFillAsync(RegistryConnection connection,
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
                    return (earlier, true, stored.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal));
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
        return (created.Number, false, new Dictionary<string, string>(StringComparer.Ordinal));
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
    /// for its offset; then the rest of the file in one PATCH, continued at the server's offset after a broken connection.
    /// </summary>
    private static async Task<Transfer> SendResumableAsync(RegistryConnection connection, PushState state, string model, int number,
        LocalFile file, string sha, IProgressItem item, CancellationToken ct)
    {
        var resumed = false;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var url = state.UploadUrl(file);
                long offset = 0;
                if (url is not null)
                {
                    var kept = await OffsetAsync(connection, url, file, ct);
                    if (kept is null)
                    {
                        state.SetUploadUrl(file, null);
                        url = null;
                    }
                    else
                    {
                        offset = kept.Value;
                        resumed |= offset > 0;
                    }
                }

                if (url is null)
                {
                    url = await CreateUploadAsync(connection, model, number, file, sha, ct);
                    state.SetUploadUrl(file, url);
                }

                item.Reset(offset);
                while (offset < file.Size)
                {
                    var (sentFrom, reached) = await PatchAsync(connection, url, file, offset, item, ct);
                    resumed |= sentFrom > 0;
                    offset = reached;
                }

                state.SetUploadUrl(file, null);
                return resumed ? Transfer.Resumed : Transfer.Sent;
            }
            catch (Exception e) when (RegistryConnection.IsConnectionFailure(e) && attempt < ConnectionRetries && !ct.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt), ct);
            }
        }
    }

    private static async Task<string> CreateUploadAsync(RegistryConnection connection, string model, int number, LocalFile file, string sha,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, connection.Route($"{RegistryConnection.ModelRoute(model)}/versions/{number}/uploads"))
        {
            Content = new ByteArrayContent([]),
        };
        request.Headers.Add("Tus-Resumable", TusVersion);
        request.Headers.Add("Upload-Length", file.Size.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", $"path {Base64(file.Path)},sha256 {Base64(sha)}");
        using var response = await connection.Http.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Created || response.Headers.Location is null)
        {
            throw await RegistryConnection.FailureAsync(response, $"starting the upload of '{file.Path}'", ct);
        }

        return new Uri(connection.BaseAddress, response.Headers.Location).ToString();
    }

    /// <summary>The offset the server kept for an upload, or null when the upload is gone (expired, or another version's).</summary>
    private static async Task<long?> OffsetAsync(RegistryConnection connection, string url, LocalFile file, CancellationToken ct)
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
        return length == file.Size ? HeaderLong(response, "Upload-Offset") : null;
    }

    /// <summary>
    /// Sends the file from <paramref name="offset"/> (or where the server says it stands) to its end; returns where the
    /// bytes were sent from and the offset the server reached. <c>Expect: 100-continue</c> keeps the body back until the
    /// server has accepted the request, so a refusal (409 while an interrupted request still holds the upload) costs no bytes.
    /// </summary>
    private static async Task<(long SentFrom, long Reached)> PatchAsync(RegistryConnection connection, string url, LocalFile file, long offset, IProgressItem item,
        CancellationToken ct)
    {
        var busySince = DateTimeOffset.UtcNow;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, url) { Content = FileContent(file, offset, item) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
            request.Headers.Add("Tus-Resumable", TusVersion);
            request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
            request.Headers.ExpectContinue = true;
            using var response = await connection.Http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                return (offset, HeaderLong(response, "Upload-Offset"));
            }

            var failure = await RegistryConnection.FailureAsync(response, $"uploading '{file.Path}'", ct);
            if (failure.Problem is { Status: 409, Code: "upload_busy" } && DateTimeOffset.UtcNow - busySince < TimeSpan.FromSeconds(90))
            {
                // The request of an interrupted run still holds the upload until the server notices it is gone.
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                var kept = await OffsetAsync(connection, url, file, ct) ?? throw failure;
                offset = kept;
                item.Reset(offset);
                continue;
            }

            if (failure.Problem is { Status: 409 } && await OffsetAsync(connection, url, file, ct) is { } actual && actual != offset)
            {
                // Not the offset the server kept (a request it finished after we gave up on it): continue at its offset.
                item.Reset(actual);
                return (actual, actual);
            }

            throw failure;
        }
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
}
