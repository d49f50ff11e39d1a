using System.Diagnostics;

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
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // No appsettings.json here: the app falls back to the one beside its binaries, as when installed.
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(WebAssembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Only what the test sets may configure the child: nothing inherited from the machine or the runner.
        foreach (var key in start.Environment.Keys.Where(k =>
                     k.StartsWith("Registry__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                     || k.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["Registry__DataDirectory"] = dataDirectory;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
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

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
