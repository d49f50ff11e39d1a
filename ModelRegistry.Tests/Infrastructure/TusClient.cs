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
        var root = NodeTool.Folder("tus");
        await NodeTool.EnsureRestoredAsync(root, "tus-js-client", ct);
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

        var run = await NodeTool.NodeAsync(root, args, null, ct);
        var events = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        return new Run(run.ExitCode, events, run.Errors);
    }
}
