using System.Diagnostics;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// A folder of ModelRegistry.Tests with its own package.json and committed package-lock.json (such as <c>openapi/</c>):
/// the build restores it with <c>npm ci</c>; on a machine where it has not, the first use here does. Runs node in it.
/// </summary>
public static class NodeTool
{
    private static readonly SemaphoreSlim Restore = new(1, 1);

    /// <summary>The folder <c>ModelRegistry.Tests/<paramref name="name"/></c> of the checkout the tests run from.</summary>
    public static string Folder(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "ModelRegistry.Tests", name);
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"ModelRegistry.Tests/{name}/package-lock.json not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs <c>npm ci</c> in <paramref name="folder"/> unless <paramref name="package"/> is installed there already.</summary>
    public static async Task EnsureRestoredAsync(string folder, string package, CancellationToken ct)
    {
        await Restore.WaitAsync(ct);
        try
        {
            if (Directory.Exists(Path.Combine(folder, "node_modules", package)))
            {
                return;
            }

            var npm = await RunAsync("npm", folder, ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], null, null, TimeSpan.FromMinutes(5), ct);
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed in {folder}:\n{npm.Output}\n{npm.Errors}");
            }
        }
        finally
        {
            Restore.Release();
        }
    }

    /// <summary>
    /// Runs <c>node</c> with <paramref name="arguments"/> in <paramref name="folder"/>, writes <paramref name="input"/> (if
    /// any) to its standard input, and waits for it (at most <paramref name="timeout"/>, two minutes unless given).
    /// </summary>
    public static Task<NodeResult> NodeAsync(string folder, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment,
        CancellationToken ct, string? input = null, TimeSpan? timeout = null) =>
        RunAsync("node", folder, arguments, environment, input, timeout ?? TimeSpan.FromMinutes(2), ct);

    private static async Task<NodeResult> RunAsync(string program, string folder, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment, string? input, TimeSpan limit, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var (exitCode, output, errors) = await ChildProcess.RunAsync(start, limit, ct, input);
        return new NodeResult(exitCode, output, errors);
    }
}

/// <summary>How a node (or npm) run ended and what it printed.</summary>
public sealed record NodeResult(int ExitCode, string Output, string Errors)
{
    public override string ToString() => $"exit code {ExitCode}\n{Output}\n{Errors}";
}
