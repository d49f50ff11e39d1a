using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ModelRegistry.Client.Api;

namespace ModelRegistry.Client.Commands;

/// <summary>
/// <c>mreg pull NAME[@REF] [DIR] [--parallel 4]</c>: downloads every file of a version into DIR (default ./NAME),
/// several at once. Each file arrives as <c>PATH.mreg-part</c>, hashed while it streams to disk; only when its SHA-256
/// is the one the registry lists is it renamed to PATH — a wrong hash removes it and exits 4. A rerun continues a part
/// file with a Range request (If-Range on the file's ETag, its SHA-256) after hashing the bytes already there, and
/// skips files already in place with the right hash.
/// </summary>
internal static class PullCommand
{
    private const int ConnectionRetries = 4;

    public static Command Create(MregEnvironment env, Option<bool> json)
    {
        var reference = new Argument<string>("NAME[@REF]") { Description = "The model and a version reference: a number, latest, production, staging, an alias or a commit (default production)" };
        var dir = new Argument<string?>("DIR") { Description = "Where the files go (default ./NAME)", Arity = ArgumentArity.ZeroOrOne };
        var parallel = Mreg.ParallelOption();
        var command = new Command("pull", "Downloads a version's files, verified by SHA-256; prints its number and digest") { reference, dir, parallel };
        command.SetAction((result, ct) => Mreg.RunActionAsync(env, result.GetValue(json), results =>
            RunAsync(env, results, result.GetValue(reference)!, result.GetValue(dir), result.GetValue(parallel), ct)));
        return command;
    }

    private sealed record Pulled(string Path, long Size, string Sha256, string Status);

    private static async Task<int> RunAsync(MregEnvironment env, Results results, string referenceText, string? dir, int parallel, CancellationToken ct)
    {
        Mreg.RequireParallel(parallel);
        var reference = VersionReference.Parse(referenceText, "production");
        var settings = ClientSettings.Load(env);
        using var connection = RegistryConnection.Open(env, settings);
        var (version, files) = await reference.ResolveAsync(connection, ct);
        var root = Path.GetFullPath(dir ?? reference.Model);
        Directory.CreateDirectory(root);
        var targets = files.Select(f => LocalFiles.Place(root, f.Path)).ToList();

        var pulled = await ProgressView.RunAsync(env, async view =>
        {
            var done = new Pulled[files.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
                async (i, token) => done[i] = await PullFileAsync(connection, reference.Model, version.Number, files[i], targets[i], view, token));
            return done;
        });

        var wrong = pulled.Where(p => p.Status == "mismatch").ToList();
        var output = new PullOutput(reference.Model, version.Number, version.Digest, version.Commit, root,
            [.. pulled.Select(p => new PulledFile(p.Path, p.Size, p.Sha256, p.Status))]);
        if (wrong.Count > 0)
        {
            await results.WriteAsync(output, () => []);
            throw new MregException(ExitCodes.VerificationFailed,
                $"{wrong.Count} file(s) did not match their SHA-256 and were not kept: {string.Join(", ", wrong.Select(w => w.Path))}");
        }

        await results.WriteAsync(output, () => [$"{version.Number} {version.Digest}"]);
        return ExitCodes.Ok;
    }

    private static async Task<Pulled> PullFileAsync(RegistryConnection connection, string model, int number, ArtifactInfo file, string target,
        ProgressView view, CancellationToken ct)
    {
        var item = view.Add(file.Path, file.Size);
        if (File.Exists(target) && new FileInfo(target).Length == file.Size
            && await LocalFiles.Sha256Async(target, null, ct) == file.Sha256)
        {
            item.Done("already here");
            return new Pulled(file.Path, file.Size, file.Sha256, "present");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var part = target + LocalFiles.PartSuffix;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var sha = await DownloadAsync(connection, model, number, file, part, item, ct);
                if (sha != file.Sha256)
                {
                    File.Delete(part);
                    item.Done("SHA-256 MISMATCH, removed");
                    return new Pulled(file.Path, file.Size, sha, "mismatch");
                }

                File.Move(part, target, overwrite: true);
                item.Done("verified");
                return new Pulled(file.Path, file.Size, file.Sha256, "downloaded");
            }
            catch (Exception e) when (RegistryConnection.IsConnectionFailure(e) && attempt < ConnectionRetries && !ct.IsCancellationRequested)
            {
                // The part file keeps what arrived; the next attempt continues after it.
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << attempt)), ct);
            }
        }
    }

    /// <summary>
    /// Brings <paramref name="part"/> to the whole file: the bytes already in it are hashed from disk, the rest requested
    /// with Range and appended while hashed. Returns the SHA-256 of everything in the part file.
    /// </summary>
    private static async Task<string> DownloadAsync(RegistryConnection connection, string model, int number, ArtifactInfo file, string part,
        IProgressItem item, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (have > file.Size)
        {
            have = 0;
        }

        await using var output = new FileStream(part, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
        });
        if (have > 0)
        {
            output.Seek(0, SeekOrigin.Begin);
            have = await LocalFiles.HashIntoAsync(output, hash, have, null, ct);
        }

        if (output.Length != have)
        {
            // Only when there is something to cut: on ext4 a file truncated to zero is flushed to disk when it is closed
            // (auto_da_alloc) — 0.15 s per 512 MiB here, spent at the end of every new file's download.
            output.SetLength(have);
        }

        item.Reset(have);
        if (have == file.Size)
        {
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        using var request = new HttpRequestMessage(HttpMethod.Get,
            connection.Route($"{RegistryConnection.ModelRoute(model)}/versions/{number}/files/{RegistryConnection.FileRoute(file.Path)}"));
        // Always a range, bytes=0- for a new file: mreg checks every byte itself, so the registry need not hash a blob it
        // verified since it last changed a second time (docs/decisions/0033); a plain GET is checked as it is served.
        request.Headers.Range = new RangeHeaderValue(have, null);
        if (have > 0)
        {
            request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue($"\"{file.Sha256}\""));
        }

        using var response = await connection.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.OK && have > 0)
        {
            // The whole file instead of the range (the file changed, or the server ignored it): start over.
            hash.GetHashAndReset();
            output.SetLength(0);
            item.Reset(0);
        }
        else if (response.StatusCode != HttpStatusCode.PartialContent && response.StatusCode != HttpStatusCode.OK)
        {
            throw await RegistryConnection.FailureAsync(response, $"downloading '{file.Path}'", ct);
        }

        output.Seek(0, SeekOrigin.End);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await CopyHashingAsync(body, output, hash, item, ct);
        await output.FlushAsync(ct);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task CopyHashingAsync(Stream source, Stream destination, IncrementalHash hash, IProgressItem item, CancellationToken ct)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(LocalFiles.BufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, LocalFiles.BufferSize), ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), ct);
                item.Advance(read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary><c>NAME@REF</c> as pull and verify take it; REF as in docs/design.md, "Version references".</summary>
internal sealed record VersionReference(string Model, string Reference)
{
    public static VersionReference Parse(string text, string? defaultReference)
    {
        var at = text.LastIndexOf('@');
        var model = at < 0 ? text : text[..at];
        var reference = at < 0 ? defaultReference : text[(at + 1)..];
        if (string.IsNullOrWhiteSpace(model) || string.IsNullOrWhiteSpace(reference))
        {
            throw new MregException(ExitCodes.Usage, defaultReference is null
                ? $"'{text}' is not NAME@REF (REF: a number, latest, production, staging, an alias or a commit)."
                : $"'{text}' is not NAME or NAME@REF.");
        }

        return new VersionReference(model, reference);
    }

    /// <summary>The version the reference names now, and its files (read by number, so both describe the same version).</summary>
    public async Task<(VersionInfo Version, IReadOnlyList<ArtifactInfo> Files)> ResolveAsync(RegistryConnection connection, CancellationToken ct)
    {
        VersionInfo version;
        try
        {
            version = await connection.Api.GetVersionAsync(Model, Reference, ct);
        }
        catch (RegistryApiException e) when (e.StatusCode == 404)
        {
            var failure = RegistryConnection.Failure(404, e.Response, $"'{Model}@{Reference}'");
            throw new MregException(failure.ExitCode, failure.Message, failure.Problem, e);
        }

        var files = await connection.Api.ListFilesAsync(Model, version.Number.ToString(CultureInfo.InvariantCulture), ct);
        return (version, files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList());
    }
}
