using System.Diagnostics;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>How a program run to its end by <see cref="ChildProcess.RunAsync"/> ended and what it printed.</summary>
public readonly record struct ChildProcessResult(int ExitCode, string Output, string Errors);

/// <summary>Runs a program the tests start (node, npm, the registry's command line, mreg) to its end.</summary>
public static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="start"/> with both output streams captured, writes <paramref name="input"/> (if any) to its
    /// standard input, and waits for it; past <paramref name="limit"/> or on cancellation it is killed with its children.
    /// </summary>
    public static async Task<ChildProcessResult> RunAsync(ProcessStartInfo start, TimeSpan limit, CancellationToken ct, string? input = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = input is not null;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), ct);
            process.StandardInput.Close();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ChildProcessResult(process.ExitCode, await output, await errors);
    }
}
