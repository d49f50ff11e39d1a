using System.Diagnostics;
using System.Text.Json;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// The reference tus client, tus-js-client (npm, pinned in <c>tus/package.json</c>), run with node through
/// <c>tus/upload.js</c> exactly as a script on a laptop would run it: the upload URL kept in a URL storage file under the
/// file's fingerprint, so a second run for the same file resumes. The build restores it; on a machine where it has
/// not, the first run does <c>npm ci</c>.
/// </summary>
public static class TusClient
{
    private static readonly SemaphoreSlim Restore = new(1, 1);

    /// <summary>What one run printed, one event a line (see upload.js).</summary>
    public sealed record Run(int ExitCode, IReadOnlyList<JsonElement> Events, string Errors)
    {
        public IEnumerable<JsonElement> Named(string name) => Events.Where(e => e.GetProperty("event").GetString() == name);

        public override string ToString() => $"exit {ExitCode}: {string.Join(" | ", Events.Select(e => e.GetRawText()))} {Errors}";
    }

    /// <summary>Uploads (or resumes uploading) <paramref name="file"/> to version <paramref name="number"/> of <paramref name="model"/>.</summary>
    public static async Task<Run> UploadAsync(Uri server, string token, string model, int number, string file, string path, string storage,
        long? chunkSize = null, long? stopAfter = null, CancellationToken ct = default)
    {
        var root = Directory();
        await EnsureRestoredAsync(root);
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var args = new List<string>
        {
            "upload.js", "--endpoint", new Uri(server, $"/api/v1/models/{model}/versions/{number}/uploads").ToString(), "--token", token,
            "--file", file, "--path", path, "--storage", storage,
        };
        if (chunkSize is { } size)
        {
            args.AddRange(["--chunk-size", size.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (stopAfter is { } stop)
        {
            args.AddRange(["--stop-after", stop.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var events = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        return new Run(process.ExitCode, events, await errors);
    }

    private static string Directory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "ModelRegistry.Tests", "tus");
            if (File.Exists(Path.Combine(candidate, "upload.js")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("ModelRegistry.Tests/tus/upload.js not found above " + AppContext.BaseDirectory);
    }

    private static async Task EnsureRestoredAsync(string root)
    {
        await Restore.WaitAsync();
        try
        {
            if (System.IO.Directory.Exists(Path.Combine(root, "node_modules", "tus-js-client")))
            {
                return;
            }

            using var npm = Process.Start(new ProcessStartInfo("npm", "ci --ignore-scripts --no-audit --no-fund")
            {
                WorkingDirectory = root,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }) ?? throw new InvalidOperationException("Could not start npm.");
            var output = npm.StandardOutput.ReadToEndAsync();
            var errors = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed in {root}: {await output}{await errors}");
            }
        }
        finally
        {
            Restore.Release();
        }
    }
}
