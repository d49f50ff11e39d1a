using System.Diagnostics;
using System.Runtime.InteropServices;

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
        var start = new ProcessStartInfo(await PathAsync(ct)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
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

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new MregResult(process.ExitCode, await output, await error);
    }

    private static async Task<string> PublishAsync(CancellationToken ct)
    {
        var project = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "ModelRegistry.Client"));
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
        var rid = RuntimeInformation.RuntimeIdentifier;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "publish", project, "-c", configuration, "-r", rid, "--nologo", "-v", "quiet" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of mreg failed:\n{await output}\n{await error}");
        }

        var binary = Path.Combine(project, "bin", configuration, "net10.0", rid, "publish", OperatingSystem.IsWindows() ? "mreg.exe" : "mreg");
        return File.Exists(binary) ? binary : throw new InvalidOperationException($"dotnet publish did not write {binary}");
    }
}
