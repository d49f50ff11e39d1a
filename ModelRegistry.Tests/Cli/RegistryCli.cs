using System.Diagnostics;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Cli;

/// <summary>What a run of the command line left behind.</summary>
public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs the built registry executable as an operator would (<c>dotnet ModelRegistry.Web.dll users create …</c>),
/// configured only through environment variables, and captures its two output streams separately.
/// </summary>
public static class RegistryCli
{
    private static readonly string WebAssembly = Path.Combine(AppContext.BaseDirectory, "ModelRegistry.Web.dll");

    public static Task<CliResult> RunAsync(string dataDirectory, params string[] args) =>
        RunAsync(dataDirectory, new Dictionary<string, string>(), args);

    /// <summary>Runs with extra environment variables, e.g. <c>Registry__Artifacts__Store</c>, <c>Registry__Database</c>, <c>ConnectionStrings__Registry</c>.</summary>
    public static async Task<CliResult> RunAsync(string dataDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        var workingDirectory = Path.Combine(Path.GetTempPath(), "mr-tests", "cli-cwd");
        Directory.CreateDirectory(workingDirectory);
        // No appsettings.json here: the app falls back to the one beside its binaries, as when installed.
        var start = StartInfo(workingDirectory, dataDirectory, args);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var (exitCode, output, errors) = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(2), ct);
        return new CliResult(exitCode, output, errors);
    }

    /// <summary>
    /// How the tests start the built registry (a command, or the server): <c>dotnet ModelRegistry.Web.dll args…</c>
    /// with both output streams captured, configured only by what the test then adds to the environment — the
    /// runner's own <c>Registry__*</c>, <c>ConnectionStrings__*</c>, <c>ASPNETCORE_*</c> and environment name are
    /// removed — and <c>Registry__DataDirectory</c> set.
    /// </summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, string dataDirectory, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(WebAssembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.Where(k =>
                     k.StartsWith("Registry__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                     || k.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["Registry__DataDirectory"] = dataDirectory;
        return start;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
