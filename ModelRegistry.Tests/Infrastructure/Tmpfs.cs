using System.Diagnostics;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// A small RAM file system mounted over a directory (needs root, as CI has on this machine), to run the registry
/// out of disk space for real. Unmounted on dispose.
/// </summary>
public sealed class Tmpfs : IAsyncDisposable
{
    private Tmpfs(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (e.g. <c>32m</c>) on <paramref name="directory"/>; fails the test if it cannot.</summary>
    public static async Task<Tmpfs> MountAsync(string directory, string size)
    {
        System.IO.Directory.CreateDirectory(directory);
        var (code, output) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", directory);
        Assert.True(code == 0,
            $"Could not mount a {size} tmpfs on {directory} (exit {code}: {output.Trim()}). This test needs root (or CAP_SYS_ADMIN) " +
            "to fill a real file system; run the suite as root, as CI does.");
        return new Tmpfs(directory);
    }

    public async ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var (code, _) = await RunAsync("umount", Directory);
        if (code != 0)
        {
            await RunAsync("umount", "-l", Directory); // still busy: detach now, the kernel frees it when unused
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout + await stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
