using System.Diagnostics;
using System.Runtime.InteropServices;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Mreg;

/// <summary>
/// <c>mreg</c> as it ships: the Native AOT binary of <c>ModelRegistry.Client</c> (docs/decisions/0031). <c>MREG_NATIVE</c>
/// names a published binary (run-tests.sh publishes one before the tests); without it the first use publishes it.
/// </summary>
public static class NativeMreg
{
    private static readonly SemaphoreSlim Publishing = new(1, 1);
    private static string? _path;

    public static async Task<string> PathAsync(CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("MREG_NATIVE") is { Length: > 0 } given && File.Exists(given))
        {
            return given;
        }

        await Publishing.WaitAsync(ct);
        try
        {
            return _path ??= await PublishAsync(ct);
        }
        finally
        {
            Publishing.Release();
        }
    }

    /// <summary>Runs the binary with <paramref name="environment"/> only (plus PATH and HOME) and waits for it.</summary>
    public static async Task<MregResult> RunAsync(IReadOnlyDictionary<string, string> environment, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo(await PathAsync(ct));
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH");
        start.Environment["HOME"] = Environment.GetEnvironmentVariable("HOME");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var (exitCode, output, errors) = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(2), ct);
        return new MregResult(exitCode, output, errors);
    }

    private static async Task<string> PublishAsync(CancellationToken ct)
    {
        var project = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "ModelRegistry.Client"));
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
        var rid = RuntimeInformation.RuntimeIdentifier;
        var start = new ProcessStartInfo("dotnet");
        foreach (var arg in new[] { "publish", project, "-c", configuration, "-r", rid, "--nologo", "-v", "quiet" })
        {
            start.ArgumentList.Add(arg);
        }

        var publish = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(10), ct);
        if (publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of mreg failed:\n{publish.Output}\n{publish.Errors}");
        }

        var binary = Path.Combine(project, "bin", configuration, "net10.0", rid, "publish", OperatingSystem.IsWindows() ? "mreg.exe" : "mreg");
        return File.Exists(binary) ? binary : throw new InvalidOperationException($"dotnet publish did not write {binary}");
    }
}
